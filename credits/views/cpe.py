"""Coordinator pages for pharmacy and licence reporting: the provider's CPE Monitor batches
(credits/cpe_monitor.py) and an activity's CE Broker roster (credits/cebroker.py)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Profession
from accounts.permissions import AuthenticatedHttpRequest, coordinator_required

from .. import cebroker, cpe_monitor, cpe_snapshot, report_selectors
from ..errors import CreditError
from ..models import CpeMonitorBatch
from ..provider_time import provider_date, provider_zone
from .access import coordinator_activity_or_404, coordinator_provider_or_404
from .reports import BoardRangeForm
from .reports_paging import list_page


def _cpe_page(request, provider, *, status=200, error="", fresh=False):
    """The page from the provider's snapshot (credits/cpe_snapshot.py: the counts, the state per
    activity and the long lists in stored pages), so its cost does not grow with the claims.
    ``fresh``: a refusal, checked in full now (the snapshot is rebuilt)."""
    if fresh:
        snapshot: cpe_snapshot.CpeSnapshot | None = cpe_snapshot.build_cpe_snapshot(provider)
    else:
        snapshot = cpe_snapshot.current_cpe_snapshot(provider)
    today = provider_date(timezone.now(), provider)
    context = {
        "provider": provider,
        "snapshot": snapshot,
        "pending": snapshot is None,
        "today": today,
        "window": cpe_monitor.WINDOW_DAYS,
        "fields": [cpe_monitor.FIELD_LABELS[f] for f in cpe_monitor.FIELDS],
        "batches": CpeMonitorBatch.objects.filter(provider=provider).order_by("-created_at", "-id")[:24],
        "error": error,
    }
    if snapshot is not None:
        context |= {
            # The long lists a page at a time, each with its own page number (reports_paging): one
            # stored page read each.
            "blocked": list_page(request, snapshot.blocked_rows(), name="blocked_page", anchor="cpe-blocked"),
            "held_back": list_page(request, snapshot.held_rows(), name="held_page", anchor="cpe-problems"),
            "corrections": list_page(
                request, snapshot.correction_rows(), name="corrections_page", anchor="cpe-corrections"
            ),
            "states": [(st, st.urgency(today)) for st in snapshot.states],
            "taken_at": timezone.localtime(snapshot.taken_at, provider_zone(provider)),
            "max_age_seconds": int(report_selectors.REPORT_MAX_AGE.total_seconds()),
        }
    return _snapshot_response(request, "credits/coordinator/cpe_monitor.html", context, status)


def _snapshot_response(request, template: str, context: dict, status: int) -> HttpResponse:
    response = render(request, template, context, status=status)
    if context["pending"]:
        response["Refresh"] = "5"  # the worker is checking: reload until it is done
    return response


def _checked_message(request, done: bool) -> None:
    if done:
        messages.success(request, _("Completions checked again."))
    else:
        messages.info(
            request, _("The completions are being checked again: reload this page in a few seconds.")
        )


@coordinator_required
@require_http_methods(["GET", "POST"])
def cpe_monitor_page(request: AuthenticatedHttpRequest, slug: str):
    """Per activity: reported, pending (with the 60-day deadline), needing a correction by hand; the
    pre-validation list; the next file; the batches recorded. From the provider's snapshot
    (refreshed when old or when anything was audited since); POST asks for a check now."""
    provider = coordinator_provider_or_404(request, slug)
    if request.method == "POST":
        _checked_message(request, cpe_snapshot.check_cpe_again(provider))
        return redirect("credits:cpe_monitor", slug=provider.slug)
    return _cpe_page(request, provider)


@coordinator_required
@require_POST
def cpe_monitor_batch_create(request: AuthenticatedHttpRequest, slug: str):
    provider = coordinator_provider_or_404(request, slug)
    try:
        batch = cpe_monitor.batch_create(provider=provider, actor=request.user)
    except CreditError as exc:
        return _cpe_page(request, provider, status=400, error=exc.message, fresh=True)
    messages.success(
        request, _("Batch %(n)d recorded: download its file and upload it to CPE Monitor.") % {"n": batch.pk}
    )
    return redirect("credits:cpe_monitor", slug=provider.slug)


@coordinator_required
@require_POST
def cpe_monitor_corrections(request: AuthenticatedHttpRequest, slug: str):
    provider = coordinator_provider_or_404(request, slug)
    try:
        ids = [int(v) for v in request.POST.getlist("certificates")]
    except ValueError:
        return _cpe_page(
            request,
            provider,
            status=400,
            error=_("Tick the corrections you made in CPE Monitor."),
            fresh=True,
        )
    try:
        cpe_monitor.corrections_record(provider=provider, actor=request.user, certificate_ids=ids)
    except CreditError as exc:
        return _cpe_page(request, provider, status=400, error=exc.message, fresh=True)
    messages.success(request, _("Corrections recorded as made in CPE Monitor."))
    return redirect("credits:cpe_monitor", slug=provider.slug)


@coordinator_required
def cpe_monitor_batch_xml(request: AuthenticatedHttpRequest, slug: str, pk: int):
    provider = coordinator_provider_or_404(request, slug)
    batch = get_object_or_404(CpeMonitorBatch, pk=pk, provider=provider, kind=CpeMonitorBatch.Kind.FILE)
    response = HttpResponse(cpe_monitor.batch_file(batch), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{cpe_monitor.batch_file_name(batch)}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- CE Broker ------------------------------------------------------------------------------------------


def _period(request) -> tuple[BoardRangeForm | None, dict]:
    """The optional completion-date range (GET start/end): (the form, roster arguments)."""
    if "start" not in request.GET and "end" not in request.GET:
        return None, {}
    period = BoardRangeForm(request.GET)
    if not period.is_valid():
        return period, {}
    return period, {"start": period.cleaned_data["start"], "end": period.cleaned_data["end"]}


def _period_error(period: BoardRangeForm | None) -> str:
    if period is None or period.is_valid():
        return ""
    parts = []
    for name, errors in period.errors.items():
        label = f"{period.fields[name].label}: " if name in period.fields else ""
        parts.append(label + " ".join(str(e) for e in errors))
    return " ".join(parts)


def _cebroker_page(request, activity, *, status=200, error="", form=None, fresh=False, made=None):
    """The page from the roster's snapshot (credits/cpe_snapshot.py), for the completion dates asked
    (every completion when none, or when they are not valid: then a 400 that says why). ``fresh``:
    a refusal, the snapshot rebuilt from the roster (``made``, when the caller made it already)."""
    period, dates = _period(request)
    if _period_error(period):
        status, error = 400, error or _period_error(period)
    if fresh:
        snapshot: cpe_snapshot.CebrokerSnapshot | None = cpe_snapshot.build_cebroker_snapshot(
            activity, **dates, made=made
        )
    else:
        snapshot = cpe_snapshot.current_cebroker_snapshot(activity, **dates)
    context = {
        "activity": activity,
        "provider": activity.provider,
        "snapshot": snapshot,
        "pending": snapshot is None,
        "error": error,
        "form": form
        or {
            "provider_number": activity.provider.cebroker_provider_number,
            "course_number": activity.cebroker_course_number,
            "subject_area": activity.cebroker_subject_area,
        },
        "professions": [
            (str(p.label), code, cebroker.CREDIT_NAMES[credit]) for p, (code, credit) in _professions()
        ],
        "period": period,
        "dates": dates,
        "query": request.GET.urlencode() if period is not None and not _period_error(period) else "",
    }
    if snapshot is not None:
        context |= {
            # The roster and the learners not exported a page at a time (reports_paging).
            "rows": list_page(request, snapshot.roster_rows(), name="rows_page", anchor="cebroker-rows"),
            "skipped": list_page(
                request, snapshot.skipped_rows(), name="skipped_page", anchor="cebroker-skipped"
            ),
            "problems": cebroker.export_problems_for(activity, rows=snapshot.rows),
            "taken_at": timezone.localtime(snapshot.taken_at, provider_zone(activity.provider)),
            "max_age_seconds": int(report_selectors.REPORT_MAX_AGE.total_seconds()),
        }
    return _snapshot_response(request, "credits/coordinator/cebroker.html", context, status)


def _professions():
    return [(Profession(p), v) for p, v in cebroker.PROFESSIONS.items()]


@coordinator_required
def cebroker_page(request: AuthenticatedHttpRequest, pk: int):
    """The roster as it would be exported, the learners not exported and why, and the CE Broker
    numbers (POST sets them)."""
    activity = coordinator_activity_or_404(request, pk)
    if request.method == "POST" and "check" in request.POST:
        return _cebroker_check_again(request, activity)
    if request.method == "POST":
        form = {
            "provider_number": request.POST.get("provider_number", ""),
            "course_number": request.POST.get("course_number", ""),
            "subject_area": request.POST.get("subject_area", ""),
        }
        try:
            cebroker.numbers_set(activity=activity, actor=request.user, **form)
        except CreditError as exc:
            return _cebroker_page(request, activity, status=400, error=exc.message, form=form)
        messages.success(request, _("CE Broker numbers saved."))
        return redirect("credits:cebroker", pk=activity.pk)
    return _cebroker_page(request, activity)


def _cebroker_check_again(request, activity):
    """ "Check again now" (POST ``check``, with the page's completion dates if any)."""
    dates = {}
    if request.POST.get("start") or request.POST.get("end"):
        period = BoardRangeForm(request.POST)
        if not period.is_valid():
            return _cebroker_page(request, activity, status=400, error=_period_error(period))
        dates = {"start": period.cleaned_data["start"], "end": period.cleaned_data["end"]}
    _checked_message(request, cpe_snapshot.check_cebroker_again(activity, **dates))
    url = reverse("credits:cebroker", args=[activity.pk])
    if dates:
        url += f"?start={dates['start'].isoformat()}&end={dates['end'].isoformat()}"
    return redirect(url)


@coordinator_required
def cebroker_roster(request: AuthenticatedHttpRequest, pk: int):
    """The .xls roster for CE Broker's upload; refused (400, with the reasons) when it cannot be made."""
    activity = coordinator_activity_or_404(request, pk)
    period, dates = _period(request)
    if _period_error(period):
        return _cebroker_page(request, activity, status=400)
    made = cpe_snapshot.made_roster(activity, **dates)
    result = made[1]
    problems = cebroker.export_problems(activity, result)
    if problems:
        # The page's snapshot from this same roster: it is not made a second time.
        error = " ".join(problems)
        return _cebroker_page(request, activity, status=400, error=error, fresh=True, made=made)
    response = HttpResponse(cebroker.roster_xls(result), content_type="application/vnd.ms-excel")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="cebroker-{activity.pk}-{stamp}.xls"'
    response["Cache-Control"] = "private, no-store"
    return response
