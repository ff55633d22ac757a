"""The learner's licences and certifications: list with progress, add, edit, delete (their own only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import licences as account_licences
from accounts.forms_licences import LicenceForm
from accounts.models import MAX_LICENCES, Licence, Profession
from accounts.permissions import AuthenticatedHttpRequest

from .. import licence_progress, licences
from ..licence_progress import COUNTED_CREDIT_TYPES
from ..models import ExternalCreditType


def _own_licence(request: AuthenticatedHttpRequest, pk: int) -> Licence:
    licence = account_licences.learner_licence(learner=request.user, pk=pk)
    if licence is None:  # another learner's licence is simply not found
        raise Http404
    return licence


def _rules() -> list[tuple[str, list[str]]]:
    """What counts toward each profession's licence, for the page (the rule the progress applies)."""
    labels = dict(ExternalCreditType.choices)
    return [
        (
            str(profession.label),
            [str(labels.get(code, code)) for code in sorted(COUNTED_CREDIT_TYPES[profession])],
        )
        for profession in Profession
    ]


@login_required
def licence_list(request: AuthenticatedHttpRequest):
    progress = licence_progress.learner_licence_progress(learner=request.user)
    return render(
        request,
        "credits/licences.html",
        {"progress": progress, "rules": _rules(), "can_add": len(progress) < MAX_LICENCES},
    )


def _save(request: AuthenticatedHttpRequest, licence: Licence | None):
    topics = licences.mandate_topic_names()
    mandates = [(m.topic, m.hours) for m in licence.mandates.all()] if licence else []
    if request.method == "POST":
        # Not bound to ``licence``: validating would change it in memory before the service sees it.
        form = LicenceForm(request.POST, topics=topics)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k in account_licences.LICENCE_FIELDS}
            try:
                licences.licence_save(
                    learner=request.user, licence=licence, data=data, mandates=form.cleaned_data["mandates"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your licence has been saved."))
                return redirect("credits:licences")
        context = {"form": form, "licence": licence, "error_count": len(form.errors)}
        return render(request, "credits/licences_form.html", context, status=400)
    form = LicenceForm(instance=licence, topics=topics, mandates=mandates)
    return render(request, "credits/licences_form.html", {"form": form, "licence": licence})


@login_required
@require_http_methods(["GET", "POST"])
def licence_create(request: AuthenticatedHttpRequest):
    return _save(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def licence_edit(request: AuthenticatedHttpRequest, pk: int):
    return _save(request, _own_licence(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def licence_delete(request: AuthenticatedHttpRequest, pk: int):
    licence = _own_licence(request, pk)
    if request.method == "POST":
        account_licences.licence_delete(learner=request.user, licence=licence)
        messages.success(request, _("The licence has been deleted. Your credits are unchanged."))
        return redirect("credits:licences")
    return render(request, "credits/licences_delete.html", {"licence": licence})
