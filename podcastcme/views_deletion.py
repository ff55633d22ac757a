"""The account deletion page: login and contact data go, credit records stay (retention).

It runs the deletion that spans every app (``podcastcme.account_deletion``), so it lives here; its
URL is still ``/account/delete/``, named ``accounts:delete`` (podcastcme/urls.py adds it to the
accounts namespace).
"""

from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
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

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="wrong_password")
        return password


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: AuthenticatedHttpRequest):
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


def _context(form: DeleteAccountForm) -> dict:
    return {"form": form, "retention_years": settings.PODCASTCME_RECORD_RETENTION_YEARS}
