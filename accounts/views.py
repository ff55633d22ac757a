"""Account pages: the overview and the learner profile."""

from allauth.account import app_settings as allauth_settings
from allauth.account import views as allauth_views
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .adapters import local_next
from .forms import LearnerProfileForm, words
from .models import LearnerProfile, credit_missing
from .permissions import AuthenticatedHttpRequest, has_mfa, mfa_is_required
from .services import profile_get_or_create, profile_update


@login_required
def account_overview(request: AuthenticatedHttpRequest):
    profile = profile_get_or_create(user=request.user)
    return render(
        request,
        "accounts/overview.html",
        {
            "profile": profile,
            "has_mfa": has_mfa(request.user),
            "mfa_required": mfa_is_required(request.user),
        },
    )


@login_required
def profile_edit(request: AuthenticatedHttpRequest):
    """The learner profile. ``?next=`` (a page of this site, e.g. the claim the learner came from)
    is where a save returns; an empty profile is refused with what a certificate needs, and a save
    that leaves something a claim needs says what is still missing."""
    # Not created by looking: a profile row is written only by a save.
    profile = LearnerProfile.objects.filter(user=request.user).first() or LearnerProfile(user=request.user)
    next_url = local_next(request)
    if request.method == "POST":
        form = LearnerProfileForm(request.POST, instance=profile, user=request.user)
        if form.is_valid():
            extra = ("time_zone", "degree_equivalence")
            data = {k: v for k, v in form.cleaned_data.items() if k not in extra}
            time_zone = form.cleaned_data["time_zone"]
            if not any(data.values()) and time_zone == request.user.time_zone:
                form.add_error(
                    None,
                    _("Nothing to save yet. A certificate needs your %(missing)s.")
                    % {"missing": words(credit_missing(None))},
                )
            else:
                try:
                    saved = profile_update(
                        user=request.user,
                        data=data,
                        time_zone=time_zone,
                        degree_equivalence_attested=form.cleaned_data["degree_equivalence"],
                    )
                except ValidationError as error:  # e.g. the NPI saved by another account a moment ago
                    form.add_error(None, error)
                else:
                    missing = credit_missing(saved)
                    if missing:
                        messages.warning(
                            request,
                            _("Your profile is saved, but a certificate still needs your %(missing)s.")
                            % {"missing": words(missing)},
                        )
                    else:
                        messages.success(request, _("Your profile has been saved."))
                    return redirect(next_url or "accounts:profile")
        # Leave the stored profile untouched: the form bound itself to a copy.
        if profile.pk is not None:
            profile.refresh_from_db()
        context = {"form": form, "profile": profile, "next_url": next_url}
        return render(request, "accounts/profile.html", context, status=400)
    form = LearnerProfileForm(instance=profile, user=request.user)
    return render(request, "accounts/profile.html", {"form": form, "profile": profile, "next_url": next_url})


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, answering a wrong or expired key with 400 instead of 200.

    The link confirms when opened (ACCOUNT_CONFIRM_EMAIL_ON_GET). A link opened again after its
    address was confirmed (by the person, or first by a mail filter fetching links) goes on to its
    ``next`` page, through the login page when the browser is not logged in, instead of saying the
    link is invalid.
    """

    def get(self, *args, **kwargs):
        if _confirmed_already(self.kwargs["key"]):
            messages.info(self.request, _("Your email address is confirmed."))
            destination = self.get_next_url() or ""
            if self.request.user.is_authenticated:
                return redirect(destination or "home")
            login = reverse("account_login")
            return redirect(f"{login}?{urlencode({'next': destination})}" if destination else login)
        response = super().get(*args, **kwargs)
        if getattr(self, "object", None) is None:
            response.status_code = 400
        return response


def _confirmed_already(key: str) -> bool:
    """The key is a valid, unexpired confirmation link (allauth's HMAC key) of an address that is
    confirmed already."""
    try:
        pk = signing.loads(
            key,
            max_age=60 * 60 * 24 * allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
            salt=allauth_settings.SALT,
        )
    except signing.BadSignature:  # SignatureExpired is one
        return False
    return EmailAddress.objects.filter(pk=pk, verified=True).exists()
