"""ACCME PARS activity reporting for coordinators: an activity's PARS fields, the reporting year's
pre-validation page and the activity upload file (credits/pars.py, docs/pars.md)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import outcome_evidence, pars
from ..forms_pars import ParsActivityForm, ParsYearForm
from .access import coordinator_activity_or_404, coordinator_provider_or_404


@coordinator_required
def pars_activity(request: AuthenticatedHttpRequest, pk: int):
    """The activity's PARS fields (PARS activity ID, description, CME Finder, outcome measures)."""
    activity = coordinator_activity_or_404(request, pk)
    initial = {field: getattr(activity, field) for field in pars.PARS_FIELDS}
    form = ParsActivityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            pars.pars_update(activity=activity, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, _("PARS details saved."))
            return redirect("credits:coordinator_pars_activity", pk=pk)
    evidence = outcome_evidence.outcome_evidence([activity]).get(activity.pk, {})
    labels = dict(pars.OUTCOME_MEASURES)
    return render(
        request,
        "credits/coordinator/pars_activity.html",
        {
            "activity": activity,
            "form": form,
            "provider": activity.provider,
            "evidence": [(str(labels[code]), evidence[code]) for code in labels if code in evidence],
            "suggestions": outcome_evidence.evidence_suggestions(activity, evidence, labels),
        },
        status=400 if request.method == "POST" else 200,
    )


def _year_form(request) -> ParsYearForm:
    return ParsYearForm(request.GET if "year" in request.GET else {"year": timezone.localdate().year})


@coordinator_required
def pars_activities(request: AuthenticatedHttpRequest, slug: str):
    """The reporting year's rows, with what is missing or malformed per activity, before the export."""
    provider = coordinator_provider_or_404(request, slug)
    form = _year_form(request)
    if not form.is_valid():
        return render(
            request,
            "credits/coordinator/pars_activities.html",
            {"provider": provider, "form": form},
            status=400,
        )
    export = pars.pars_export(provider=provider, year=form.cleaned_data["year"])
    return render(
        request,
        "credits/coordinator/pars_activities.html",
        {"provider": provider, "form": form, "export": export, "columns": pars.COLUMNS},
    )


@coordinator_required
def pars_activities_txt(request: AuthenticatedHttpRequest, slug: str):
    """The PARS activity upload file; refused (400, the list of problems) unless every row is ready."""
    provider = coordinator_provider_or_404(request, slug)
    form = _year_form(request)
    if not form.is_valid():
        return render(
            request,
            "credits/coordinator/pars_activities.html",
            {"provider": provider, "form": form},
            status=400,
        )
    export = pars.pars_export(provider=provider, year=form.cleaned_data["year"])
    if not export.ready:
        return render(
            request,
            "credits/coordinator/pars_activities.html",
            {"provider": provider, "form": form, "export": export, "refused": True},
            status=400,
        )
    response = HttpResponse(pars.export_bytes(export), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
