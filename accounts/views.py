"""Account pages: the overview and the learner profile."""

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .forms import LearnerProfileForm, credit_missing, words
from .models import LearnerProfile
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
    next_url = _local_next(request)
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


def _local_next(request) -> str:
    """``next`` (posted or in the query) when it is a path on this site, else ""."""
    path = request.POST.get("next") or request.GET.get("next") or ""
    if not path.startswith("/") or path.startswith("//") or len(path) > 2000:
        return ""
    if not url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
        return ""
    return path


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, answering a wrong or expired key with 400 instead of 200."""

    def get(self, *args, **kwargs):
        response = super().get(*args, **kwargs)
        if getattr(self, "object", None) is None:
            response.status_code = 400
        return response
