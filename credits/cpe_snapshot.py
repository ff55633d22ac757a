"""The CPE Monitor page (per provider) and the CE Broker page (per activity and completion dates)
read snapshots built by a task (issue 14 item 9; docs/reports-at-scale.md), so each page costs the
same at 100 claims or 10,000. The machinery is credits/list_snapshot.py, the PARS learner page's.

Checking a provider's ACPE credit (``cpe_monitor.plan``) or an activity's roster
(``cebroker.roster``) reads every credited certificate with its learner, profile and licences and
checks each in Python. A task does it once and keeps what the page shows: the counts, the state per
activity, and the long lists (held back, blocked, to correct by hand; roster rows, learners not
exported) as plain rows in stored pages of 50. A snapshot is checked again when anything was
audited since (a certificate issued, revoked or corrected, a batch or correction recorded, the CE
Broker numbers saved), when it is more than a minute old, or on "Check again now". The files (the
CPE Monitor XML of a batch, the CE Broker .xls) and a refused batch or download are computed in
full at that moment, never from a snapshot.
"""

import datetime
import time
from dataclasses import dataclass

from django_tasks import task

from . import cebroker, cpe_monitor, list_snapshot
from .list_snapshot import Snapshot, StoredPages, audit_mark
from .models import Activity, Provider

# --- CPE Monitor -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockedRow:
    learner: str
    uan_problem: str


@dataclass(frozen=True)
class HeldRow:
    learner: str
    activity_title: str
    completion_date: datetime.date
    problems: tuple[str, ...]
    deadline: datetime.date


@dataclass(frozen=True)
class CorrectionRow:
    certificate_id: int
    learner: str
    uan: str
    participation_date: str  # as sent (M/D/YYYY)
    removal: bool  # the credit was revoked: remove the completion
    changes: tuple[tuple[str, str, str], ...]  # (field, old, new)
    deadline: datetime.date


@dataclass(kw_only=True)
class CpeSnapshot(Snapshot):
    provider_id: int
    adds: int  # the next file's completions
    held_back: int
    blocked: int
    corrections: int
    states: list[cpe_monitor.ActivityState]

    def blocked_rows(self) -> StoredPages[BlockedRow]:
        return self.pages("blocked", self.blocked)

    def held_rows(self) -> StoredPages[HeldRow]:
        return self.pages("held", self.held_back)

    def correction_rows(self) -> StoredPages[CorrectionRow]:
        return self.pages("corrections", self.corrections)


def _cpe_key(provider_id: int) -> str:
    return f"credits:cpe-monitor:v1:{provider_id}"


def cpe_snapshot(provider_id: int) -> CpeSnapshot | None:
    return list_snapshot.read(_cpe_key(provider_id), CpeSnapshot)


def build_cpe_snapshot(provider: Provider) -> CpeSnapshot:
    """Check the provider's ACPE credit now (``cpe_monitor.plan`` once) and keep the result."""
    began = time.perf_counter()
    mark = audit_mark()  # before reading: a change made during the build makes it stale at once
    plan = cpe_monitor.plan(provider)
    snapshot = CpeSnapshot(
        key=_cpe_key(provider.pk),
        audit_mark=mark,
        provider_id=provider.pk,
        adds=len(plan.adds),
        held_back=len(plan.held_back),
        blocked=len(plan.blocked),
        corrections=len(plan.corrections),
        states=cpe_monitor.activity_states(plan),
    )
    # The pages first, then the header that names them.
    snapshot.store("blocked", [BlockedRow(r.learner, r.uan_problem) for r in plan.blocked])
    snapshot.store(
        "held",
        [
            HeldRow(
                learner=r.learner,
                activity_title=r.certificate.activity_title,
                completion_date=r.certificate.completion_date,
                problems=tuple(str(p) for p in r.problems),
                deadline=r.deadline,
            )
            for r in plan.held_back
        ],
    )
    snapshot.store(
        "corrections",
        [
            CorrectionRow(
                certificate_id=c.certificate.pk,
                learner=c.learner,
                uan=c.old.get("UAN", ""),
                participation_date=c.old.get("ParticipationDate", ""),
                removal=c.new is None,
                changes=tuple(c.changes),
                deadline=c.deadline,
            )
            for c in plan.corrections
        ],
    )
    snapshot.build_ms = (time.perf_counter() - began) * 1000
    snapshot.save()
    return snapshot


@task()
def refresh_cpe_snapshot(provider_id: int) -> None:
    """The task: rebuild one provider's CPE Monitor snapshot (a removed provider is skipped)."""
    try:
        provider = Provider.objects.filter(pk=provider_id).first()
        if provider is not None:
            build_cpe_snapshot(provider)
    finally:
        list_snapshot.release(_cpe_key(provider_id))


def request_cpe_refresh(provider_id: int) -> bool:
    """Queue one refresh unless one is queued already (across nodes)."""
    return list_snapshot.request_refresh(
        _cpe_key(provider_id), lambda: refresh_cpe_snapshot.enqueue(provider_id)
    )


def current_cpe_snapshot(provider: Provider) -> CpeSnapshot | None:
    """What the page shows (refreshed first when missing or stale); None while the worker builds
    the first one."""
    return list_snapshot.current(_cpe_key(provider.pk), CpeSnapshot, lambda: request_cpe_refresh(provider.pk))


def check_cpe_again(provider: Provider) -> bool:
    """ "Check again now": True when the new snapshot is there already (no worker)."""
    return list_snapshot.checked_again(
        _cpe_key(provider.pk), CpeSnapshot, lambda: request_cpe_refresh(provider.pk)
    )


# --- CE Broker ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    learner: str
    licence: str
    state: str  # "State=TX"
    profession: str  # "Profession=RN"
    completion_date: datetime.date
    partial: bool
    hours: float | None  # the partial credit's hours (column J), None for full credit


@dataclass(frozen=True)
class SkippedLine:
    learner: str
    completion_date: datetime.date
    reason: str


@dataclass(kw_only=True)
class CebrokerSnapshot(Snapshot):
    activity_id: int
    start: datetime.date | None
    end: datetime.date | None
    rows: int
    skipped: int

    def roster_rows(self) -> StoredPages[RosterLine]:
        return self.pages("rows", self.rows)

    def skipped_rows(self) -> StoredPages[SkippedLine]:
        return self.pages("skipped", self.skipped)


def _day(value: datetime.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _cebroker_key(activity_id: int, start: datetime.date | None, end: datetime.date | None) -> str:
    return f"credits:cebroker:v1:{activity_id}:{_day(start)}:{_day(end)}"


def cebroker_snapshot(
    activity_id: int, start: datetime.date | None = None, end: datetime.date | None = None
) -> CebrokerSnapshot | None:
    return list_snapshot.read(_cebroker_key(activity_id, start, end), CebrokerSnapshot)


def made_roster(
    activity: Activity, start: datetime.date | None = None, end: datetime.date | None = None
) -> tuple[int, cebroker.Roster]:
    """The activity's roster made now, with the audit mark taken before it was read."""
    mark = audit_mark()  # before reading: a change made during the build makes it stale at once
    return mark, cebroker.roster(activity, start=start, end=end)


def build_cebroker_snapshot(
    activity: Activity,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    *,
    made: tuple[int, cebroker.Roster] | None = None,
) -> CebrokerSnapshot:
    """Keep what the page shows of the activity's roster: ``made`` (``made_roster``) when the caller
    has it already (the refused download), else made now (``cebroker.roster`` once)."""
    began = time.perf_counter()
    mark, result = made if made is not None else made_roster(activity, start, end)
    snapshot = CebrokerSnapshot(
        key=_cebroker_key(activity.pk, start, end),
        audit_mark=mark,
        activity_id=activity.pk,
        start=start,
        end=end,
        rows=len(result.rows),
        skipped=len(result.skipped),
    )
    snapshot.store(
        "rows",
        [
            RosterLine(
                learner=r.learner,
                licence=str(r.cells[4]),
                state=str(r.cells[6]),
                profession=str(r.cells[7]),
                completion_date=r.certificate.completion_date,
                partial=r.partial,
                hours=r.cells[9] if r.partial else None,
            )
            for r in result.rows
        ],
    )
    snapshot.store(
        "skipped",
        [SkippedLine(s.learner, s.certificate.completion_date, str(s.reason)) for s in result.skipped],
    )
    snapshot.build_ms = (time.perf_counter() - began) * 1000
    snapshot.save()
    return snapshot


@task()
def refresh_cebroker_snapshot(activity_id: int, start: str, end: str) -> None:
    """The task: rebuild one activity's CE Broker snapshot ("" for no start or end date)."""
    first = datetime.date.fromisoformat(start) if start else None
    last = datetime.date.fromisoformat(end) if end else None
    try:
        activity = Activity.objects.select_related("provider").filter(pk=activity_id).first()
        if activity is not None:
            build_cebroker_snapshot(activity, first, last)
    finally:
        list_snapshot.release(_cebroker_key(activity_id, first, last))


def request_cebroker_refresh(
    activity_id: int, start: datetime.date | None = None, end: datetime.date | None = None
) -> bool:
    return list_snapshot.request_refresh(
        _cebroker_key(activity_id, start, end),
        lambda: refresh_cebroker_snapshot.enqueue(activity_id, _day(start), _day(end)),
    )


def current_cebroker_snapshot(
    activity: Activity, start: datetime.date | None = None, end: datetime.date | None = None
) -> CebrokerSnapshot | None:
    return list_snapshot.current(
        _cebroker_key(activity.pk, start, end),
        CebrokerSnapshot,
        lambda: request_cebroker_refresh(activity.pk, start, end),
    )


def check_cebroker_again(
    activity: Activity, start: datetime.date | None = None, end: datetime.date | None = None
) -> bool:
    return list_snapshot.checked_again(
        _cebroker_key(activity.pk, start, end),
        CebrokerSnapshot,
        lambda: request_cebroker_refresh(activity.pk, start, end),
    )
