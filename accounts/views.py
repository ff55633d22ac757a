"""Account pages: the overview and the learner profile."""

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .forms import LearnerProfileForm
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
    profile = profile_get_or_create(user=request.user)
    if request.method == "POST":
        form = LearnerProfileForm(request.POST, instance=profile, user=request.user)
        if form.is_valid():
            extra = ("time_zone", "degree_equivalence")
            data = {k: v for k, v in form.cleaned_data.items() if k not in extra}
            try:
                profile_update(
                    user=request.user,
                    data=data,
                    time_zone=form.cleaned_data["time_zone"],
                    degree_equivalence_attested=form.cleaned_data["degree_equivalence"],
                )
            except ValidationError as error:  # e.g. the NPI saved by another account a moment ago
                form.add_error(None, error)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts:profile")
        # Leave the stored profile untouched: the form bound itself to a copy.
        profile.refresh_from_db()
        return render(request, "accounts/profile.html", {"form": form, "profile": profile}, status=400)
    form = LearnerProfileForm(instance=profile, user=request.user)
    return render(request, "accounts/profile.html", {"form": form, "profile": profile})


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, answering a wrong or expired key with 400 instead of 200."""

    def get(self, *args, **kwargs):
        response = super().get(*args, **kwargs)
        if getattr(self, "object", None) is None:
            response.status_code = 400
        return response
