"""Verified clinicians (credits/clinicians.py): the coordinator's list of the provider's known people,
the verification form, revocation with confirmation, and each verified person's public page."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import clinicians
from ..forms_clinicians import RevokeForm, VerifyForm
from ..provider_time import provider_date
from .access import coordinator_provider_or_404
from .coordinator import _apply_errors


def _form_page(request: AuthenticatedHttpRequest, template: str, form: Form, **context: Any) -> HttpResponse:
    """The form's page: 400 while it shows errors (refused input kept), 200 otherwise."""
    return render(request, template, {**context, "form": form}, status=400 if form.errors else 200)


@coordinator_required
@require_GET
def clinician_list(request: AuthenticatedHttpRequest, slug: str):
    provider = coordinator_provider_or_404(request, slug)
    now = timezone.now()
    rows = [
        {
            "person": person,
            "verification": verification,
            "state": verification.state(now) if verification else "",
        }
        for person, verification in clinicians.provider_people(provider)
    ]
    return render(request, "credits/clinicians.html", {"provider": provider, "rows": rows})


@coordinator_required
def clinician_verify(request: AuthenticatedHttpRequest, slug: str, person_pk: int):
    provider = coordinator_provider_or_404(request, slug)
    person = clinicians.coordinator_person_or_none(user=request.user, pk=person_pk)
    if person is None or person.provider_id != provider.pk:
        raise Http404
    form = VerifyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                clinicians.clinician_verify(person=person, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request, _("%(name)s is verified as a licensed clinician.") % {"name": person.name}
                )
                return redirect("credits:coordinator_clinicians", slug=provider.slug)
    return _form_page(request, "credits/clinician_verify.html", form, provider=provider, person=person)


@coordinator_required
def clinician_revoke(request: AuthenticatedHttpRequest, slug: str, pk: int):
    """A confirmation page asking for the reason, then the POST that revokes."""
    provider = coordinator_provider_or_404(request, slug)
    verification = clinicians.coordinator_verification_or_none(user=request.user, pk=pk)
    if verification is None or verification.person.provider_id != provider.pk:
        raise Http404
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            clinicians.clinician_revoke(
                verification=verification, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, _("The verification of %(name)s is revoked.") % {"name": verification.person.name}
            )
            return redirect("credits:coordinator_clinicians", slug=provider.slug)
    return _form_page(
        request, "credits/clinician_revoke.html", form, provider=provider, verification=verification
    )


@require_GET
def clinician_person(request, pk: int):
    """Public (no login): what the provider verified about the person, or that it expired or was revoked."""
    found = clinicians.public_person(pk)
    if found is None:
        raise Http404(_("No verified clinician has this address."))
    person, verification = found
    return render(
        request,
        "credits/clinician_person.html",
        {
            "person": person,
            "verification": verification,
            "state": verification.state(),
            "nppes_url": clinicians.nppes_url(verification.npi),
            # Days where the provider is, as on its certificates (credits/provider_time.py).
            "verified_on": provider_date(verification.verified_at, person.provider),
            "revoked_on": provider_date(verification.revoked_at, person.provider)
            if verification.revoked_at
            else None,
        },
    )
