"""Coordinator pages for MOC through PARS (credits/moc.py): an activity's board registrations, and
the learner completion export (PARS Learner Template B) with its pre-validation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import moc, pars_snapshot, report_selectors
from ..errors import CreditError
from ..models import MocRegistration, ParsLearnerBatch
from ..provider_time import provider_zone
from .access import coordinator_activity_or_404, coordinator_provider_or_404, locked_response
from .reports import BoardRangeForm, _range_form
from .reports_paging import list_page


def _registration_rows(activity, data=None):
    """One row per PARS board for the form: ticked, credit type, points (current values or the POST)."""
    current = {r.board: r for r in MocRegistration.objects.filter(activity=activity)}
    rows = []
    for board in moc.BOARDS:
        reg = current.get(board)
        if data is not None:
            ticked = board in data.getlist("boards")
            credit_type = data.get(f"{board}_credit_type", "")
            points = data.get(f"{board}_points", "")
        else:
            ticked = reg is not None
            credit_type = reg.credit_type if reg else ""
            points = str(reg.points) if reg else ""
        rows.append(
            {
                "board": board,
                "name": moc.board_name(board),
                "ticked": ticked,
                "credit_type": credit_type,
                "points": points,
                "types": list(moc.CREDIT_TYPES[board].items()),
                "full_credit_only": board in moc.FULL_CREDIT_ONLY,
            }
        )
    return rows


@coordinator_required
def moc_registration(request: AuthenticatedHttpRequest, pk: int):
    """The boards the activity is registered with for MOC (as registered in PARS), and per board its
    credit type and points. Saving a published activity's registration after learners started it
    makes a new version (learners under way keep what they were offered)."""
    activity = coordinator_activity_or_404(request, pk)
    error = ""
    if request.method == "POST":
        locked = locked_response(request, activity)
        if locked is not None:
            return locked
        boards = [b.strip() for b in request.POST.getlist("boards")]
        rows = [
            (b, request.POST.get(f"{b}_credit_type", ""), request.POST.get(f"{b}_points", "")) for b in boards
        ]
        try:
            moc.moc_register(activity=activity, actor=request.user, rows=rows)
        except CreditError as exc:
            error = exc.message
        except ValidationError as exc:  # the activity no longer passes the publishing checks
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("MOC registration saved."))
            return redirect("credits:coordinator_moc", pk=activity.pk)
    return render(
        request,
        "credits/coordinator/moc_registration.html",
        {
            "activity": activity,
            "rows": _registration_rows(activity, request.POST if error else None),
            "error": error,
            "not_pars": sorted(moc.NOT_PARS_BOARDS),
        },
        status=400 if error else 200,
    )


def _learners_page(
    request, provider, form, snapshot: pars_snapshot.ParsSnapshot | None, status=200, error="", pending=False
):
    """The page from the range's snapshot (credits/pars_snapshot.py: the counts, the reporting
    state and the rows with problems stored in pages), so its cost does not grow with the
    completions. ``snapshot`` None: the range is not valid, or (``pending``) the worker is
    building the first snapshot."""
    context = {
        "provider": provider,
        "form": form,
        "snapshot": snapshot,
        "pending": pending,
        "batches": ParsLearnerBatch.objects.filter(provider=provider).order_by("-created_at", "-id")[:24],
        "error": error,
    }
    if snapshot is not None:
        start, end = snapshot.start, snapshot.end
        # The rows to fix, a page at a time (credits/views/reports_paging.py): one stored page read.
        context["invalid_list"] = list_page(
            request, snapshot.problems(), name="problems_page", anchor="pars-problems"
        )
        context["deadlines"] = [moc.moc_deadline(y) for y in range(start.year, end.year + 1)]
        context["taken_at"] = timezone.localtime(snapshot.taken_at, provider_zone(provider))
        context["max_age_seconds"] = int(report_selectors.REPORT_MAX_AGE.total_seconds())
    response = render(request, "credits/coordinator/moc_learners.html", context, status=status)
    if pending:
        response["Refresh"] = "5"
    return response


@coordinator_required
@require_http_methods(["GET", "POST"])
def pars_learners(request: AuthenticatedHttpRequest, slug: str):
    """Pre-validation: per learner completion, what is missing or malformed before the export, from
    the range's snapshot (refreshed when old or when anything was audited since). POST (with the
    range) asks for a refresh now."""
    provider = coordinator_provider_or_404(request, slug)
    if request.method == "POST":
        form = BoardRangeForm(request.POST)
        if not form.is_valid():
            return _learners_page(request, provider, form, None, status=400)
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        before = pars_snapshot.pars_snapshot(provider.pk, start, end)
        pars_snapshot.request_pars_refresh(provider.pk, start, end)
        after = pars_snapshot.pars_snapshot(provider.pk, start, end)
        if after is not None and (before is None or after.token != before.token):
            messages.success(request, _("Completions checked again."))
        else:
            messages.info(
                request, _("The completions are being checked again: reload this page in a few seconds.")
            )
        url = reverse("credits:pars_learners", args=[provider.slug])
        return redirect(f"{url}?start={start.isoformat()}&end={end.isoformat()}")
    form = _range_form(request, provider)
    if not form.is_valid():
        return _learners_page(request, provider, form, None, status=400)
    snapshot = pars_snapshot.current_pars_snapshot(
        provider, form.cleaned_data["start"], form.cleaned_data["end"]
    )
    return _learners_page(request, provider, form, snapshot, pending=snapshot is None)


def _checked_page(request, provider, form, read: moc.Reporting, error=""):
    """A refusal (400) with the range as just read (the snapshot is rebuilt from it)."""
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    snapshot = pars_snapshot.build_pars_snapshot(provider, start, end, read=read)
    return _learners_page(request, provider, form, snapshot, status=400, error=error)


@coordinator_required
def pars_learners_txt(request: AuthenticatedHttpRequest, slug: str):
    """The upload file. Refused (400, with the list) while any row has a problem, unless the
    coordinator asks for the valid rows only (``only_valid=1``): the others wait until fixed."""
    provider = coordinator_provider_or_404(request, slug)
    form = BoardRangeForm(request.GET)
    if not form.is_valid():
        return _learners_page(request, provider, form, None, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    only_valid = request.GET.get("only_valid") == "1"
    if only_valid:
        rows = moc.learner_rows(provider=provider, start=start, end=end)
    else:
        read = moc.reporting(provider=provider, start=start, end=end)
        rows = read.in_range()
        if any(r.problems for r in rows):
            return _checked_page(request, provider, form, read)
    body = moc.learner_file(r for r in rows if not r.problems)
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    name = f"pars-learners-{provider.slug}-{start.isoformat()}-{end.isoformat()}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _txt_response(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@coordinator_required
@require_POST
def pars_batch_create(request: AuthenticatedHttpRequest, slug: str):
    """Record the next batch as sent (only what is new since the last one), then offer its file."""
    provider = coordinator_provider_or_404(request, slug)
    form = BoardRangeForm(request.POST)
    if not form.is_valid():
        return _learners_page(request, provider, form, None, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    try:
        batch = moc.batch_create(provider=provider, actor=request.user, start=start, end=end)
    except CreditError as exc:
        read = moc.reporting(provider=provider, start=start, end=end)
        return _checked_page(request, provider, form, read, error=exc.message)
    messages.success(
        request, _("Batch %(n)d recorded: download its file and upload it to PARS.") % {"n": batch.pk}
    )
    url = reverse("credits:pars_learners", args=[provider.slug])
    return redirect(f"{url}?start={start.isoformat()}&end={end.isoformat()}")


@coordinator_required
def pars_batch_txt(request: AuthenticatedHttpRequest, slug: str, pk: int):
    provider = coordinator_provider_or_404(request, slug)
    batch = get_object_or_404(ParsLearnerBatch, pk=pk, provider=provider)
    return _txt_response(moc.batch_file(batch), f"pars-learners-{provider.slug}-batch-{batch.pk}.txt")
