"""The PARS learner page's figures as a snapshot built by a task (issue 14 item 9;
docs/reports-at-scale.md), so the page costs the same at 100 completions or 10,000.

Checking a range's completions for PARS (``moc.reporting``: every credited completion of the
range and every completion in PARS now, each checked in Python) takes seconds at 10,000
completions. A task does it (``refresh_pars_snapshot``) and keeps what the page shows in the
default cache (the database cache, or Redis on several nodes):

- the header (``ParsSnapshot``): the counts (rows ready, rows with problems, the next batch's rows,
  rows held back), the reporting state per activity, when it was taken, and the audit mark;
- the rows with problems in pages of ``LIST_PAGE_SIZE`` (``ProblemRow``), each page its own cache
  entry, named after the snapshot's token, so a page is one cache read.

A snapshot is refreshed when the page is opened and it is more than a minute old
(``report_selectors.REPORT_MAX_AGE``), or anything was audited since it was taken (a certificate
issued, revoked or corrected, an opt-in, a batch recorded, an activity's PARS id changed: each
writes an audit row; the newest audit row's id is one indexed read). Without a worker (the
immediate backend: development, tests) the refresh runs before the page answers; with
``manage.py task_worker`` the page shows the snapshot it has, "as of" its time, while one refresh
is queued (one at a time per provider and range across the nodes: a lock in the cache). The
upload file itself is not read from here: it is computed in full when it is downloaded.
"""

import datetime
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from audit.models import AuditEvent

from . import moc, report_selectors
from .models import Provider
from .report_selectors import REFRESH_LOCK_SECONDS, SNAPSHOT_TIMEOUT

LIST_PAGE_SIZE = 50  # the same as credits/views/reports_paging.py: one stored page is one shown page


@dataclass(frozen=True)
class ProblemRow:
    learner: str
    activity_title: str
    completion_date: datetime.date
    problems: tuple[str, ...]


@dataclass
class ParsSnapshot:
    provider_id: int
    start: datetime.date
    end: datetime.date
    token: str  # names the pages of rows with problems
    taken_at: datetime.datetime
    build_ms: float
    audit_mark: int  # the newest audit row's id when it was taken
    rows: int  # completions of the range to report
    ready: int
    invalid: int
    next_batch: int
    held_back: int
    states: list[moc.ActivityState]

    def is_stale(self, *, audit_mark: int, now: datetime.datetime | None = None) -> bool:
        return (
            audit_mark != self.audit_mark
            or (now or timezone.now()) - self.taken_at > report_selectors.REPORT_MAX_AGE
        )

    def problems(self) -> "ProblemPages":
        return ProblemPages(self)


class ProblemPages(Sequence[ProblemRow]):
    """The rows with problems as a sequence for Django's paginator: its length is the snapshot's
    count; a slice (one page of ``LIST_PAGE_SIZE``) is one cache read of the stored page."""

    def __init__(self, snapshot: ParsSnapshot) -> None:
        self.snapshot = snapshot

    def __len__(self) -> int:
        return self.snapshot.invalid

    def _page(self, number: int) -> list[ProblemRow]:
        return cache.get(_page_key(self.snapshot, number)) or []

    @overload
    def __getitem__(self, index: int) -> ProblemRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[ProblemRow]: ...
    def __getitem__(self, index: int | slice) -> ProblemRow | list[ProblemRow]:
        if isinstance(index, int):
            if index < 0:
                index += len(self)
            if not 0 <= index < len(self):
                raise IndexError(index)
            return self._page(index // LIST_PAGE_SIZE)[index % LIST_PAGE_SIZE]
        start, stop, step = index.indices(len(self))
        if step == 1 and start % LIST_PAGE_SIZE == 0 and stop - start <= LIST_PAGE_SIZE:
            return self._page(start // LIST_PAGE_SIZE)[: stop - start]  # the paginator's case
        return [self[i] for i in range(start, stop, step)]


def _key(provider_id: int, start: datetime.date, end: datetime.date) -> str:
    return f"credits:pars-learners:v1:{provider_id}:{start.isoformat()}:{end.isoformat()}"


def _page_key(snapshot: ParsSnapshot, number: int) -> str:
    return f"{_key(snapshot.provider_id, snapshot.start, snapshot.end)}:{snapshot.token}:{number}"


def audit_mark() -> int:
    """The newest audit row's id (one read of the primary key's index)."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def pars_snapshot(provider_id: int, start: datetime.date, end: datetime.date) -> ParsSnapshot | None:
    snapshot = cache.get(_key(provider_id, start, end))
    return snapshot if isinstance(snapshot, ParsSnapshot) else None


def build_pars_snapshot(
    provider: Provider, start: datetime.date, end: datetime.date, *, read: moc.Reporting | None = None
) -> ParsSnapshot:
    """Check the range now (``moc.reporting`` once, or the ``read`` given) and keep the result."""
    began = time.perf_counter()
    mark = audit_mark()  # before reading: a change made during the build makes it stale at once
    read = read or moc.reporting(provider=provider, start=start, end=end)
    rows = read.in_range()
    invalid = [
        ProblemRow(
            learner=r.learner,
            activity_title=r.certificate.activity_title,
            completion_date=r.certificate.completion_date,
            problems=tuple(str(p) for p in r.problems),
        )
        for r in rows
        if r.problems
    ]
    plan = moc.batch_plan(provider=provider, start=start, end=end, read=read)
    snapshot = ParsSnapshot(
        provider_id=provider.pk,
        start=start,
        end=end,
        token=secrets.token_hex(8),
        taken_at=timezone.now(),
        build_ms=0.0,
        audit_mark=mark,
        rows=len(rows),
        ready=len(rows) - len(invalid),
        invalid=len(invalid),
        next_batch=len(plan.lines),
        held_back=len(plan.held_back),
        states=moc.activity_states(provider=provider, start=start, end=end, read=read),
    )
    # The pages first, then the header that names them: a reader never sees a header without pages.
    cache.set_many(
        {
            _page_key(snapshot, n): invalid[i : i + LIST_PAGE_SIZE]
            for n, i in enumerate(range(0, len(invalid), LIST_PAGE_SIZE))
        },
        SNAPSHOT_TIMEOUT,
    )
    snapshot.build_ms = (time.perf_counter() - began) * 1000
    cache.set(_key(provider.pk, start, end), snapshot, SNAPSHOT_TIMEOUT)
    return snapshot


def _lock_key(provider_id: int, start: datetime.date, end: datetime.date) -> str:
    return f"{_key(provider_id, start, end)}:refreshing"


@task()
def refresh_pars_snapshot(provider_id: int, start: str, end: str) -> None:
    """The task: rebuild one provider's PARS snapshot of a range (a removed provider is skipped)."""
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    try:
        provider = Provider.objects.filter(pk=provider_id).first()
        if provider is not None:
            build_pars_snapshot(provider, first, last)
    finally:
        cache.delete(_lock_key(provider_id, first, last))


def request_pars_refresh(provider_id: int, start: datetime.date, end: datetime.date) -> bool:
    """Queue one refresh unless one is queued already (across nodes). With the immediate task
    backend it has run when this returns."""
    if not cache.add(_lock_key(provider_id, start, end), True, REFRESH_LOCK_SECONDS):
        return False
    try:
        refresh_pars_snapshot.enqueue(provider_id, start.isoformat(), end.isoformat())
    except Exception:
        cache.delete(_lock_key(provider_id, start, end))  # the next view tries again
        raise
    return True


def current_pars_snapshot(
    provider: Provider, start: datetime.date, end: datetime.date
) -> ParsSnapshot | None:
    """What the page shows: the snapshot, refreshed first when missing or stale (queued for the
    worker; in place with the immediate backend). None while the worker builds the first one."""
    snapshot = pars_snapshot(provider.pk, start, end)
    if snapshot is None or snapshot.is_stale(audit_mark=audit_mark()):
        request_pars_refresh(provider.pk, start, end)
        snapshot = pars_snapshot(provider.pk, start, end) or snapshot
    return snapshot
