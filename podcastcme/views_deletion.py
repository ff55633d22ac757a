"""The account deletion page: login and contact data go, credit records stay (retention).

It runs the deletion that spans every app (``podcastcme.account_deletion``), so it lives here; its
URL is still ``/account/delete/``, named ``accounts:delete`` (podcastcme/urls.py adds it to the
accounts namespace).
"""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.reauthentication import did_recently_reauthenticate
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.permissions import AuthenticatedHttpRequest

from .account_deletion import account_delete


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that I can no longer log in and that this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.has_usable_password():
            # No password to ask (signed up without one): the view has asked again who it is with
            # allauth's reauthentication (an emailed code, or the authenticator) instead.
            del self.fields["password"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest):
    if not request.user.has_usable_password() and not did_recently_reauthenticate(request):
        return _reauthenticate(request)
    # Bound on every POST, even an empty one: the rate-limit branch adds an error to it.
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        # Password guesses share allauth's "change password" budget (5 a minute per user).
        if not ratelimit.consume(request, action="change_password", user=request.user):
            form.is_valid()
            form.add_error(None, _("Too many attempts: wait a minute and try again."))
            return render(request, "accounts/delete.html", _context(form), status=429)
        if form.is_valid():
            account_delete(user=request.user)
            logout(request)
            messages.success(request, _("Your account has been deleted."))
            return redirect("home")
        status = 400
    return render(request, "accounts/delete.html", _context(form), status=status)


def _reauthenticate(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An account without a password confirms who it is with allauth's reauthentication (its first
    method for this account: an emailed code, as allauth's own pages do), then comes back to this
    page (GET: a deletion posted after the confirmation expired is not replayed, the box is ticked
    again). Nothing is deleted on the way."""
    methods = get_account_adapter(request).get_reauthentication_methods(request.user)
    if not methods:
        raise PermissionDenied(_("This account has no verified address to confirm who you are."))
    return redirect(f"{methods[0]['url']}?{urlencode({'next': reverse('accounts:delete')})}")


def _context(form: DeleteAccountForm) -> dict:
    return {
        "form": form,
        "asks_password": "password" in form.fields,
        "retention_years": settings.PODCASTCME_RECORD_RETENTION_YEARS,
    }
