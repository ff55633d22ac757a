"""The PARS learner page's figures as a snapshot built by a task (issue 14 item 9;
docs/reports-at-scale.md), so the page costs the same at 100 completions or 10,000.

Checking a range's completions for PARS (``moc.reporting``: every credited completion of the
range and every completion in PARS now, each checked in Python) takes seconds at 10,000
completions. A task does it (``refresh_pars_snapshot``) and keeps what the page shows in the
default cache (the database cache, or Redis on several nodes; the machinery is
credits/list_snapshot.py, shared with the CPE Monitor and CE Broker pages):

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
import time
from dataclasses import dataclass

from django_tasks import task

from . import list_snapshot, moc
from .list_snapshot import LIST_PAGE_SIZE, Snapshot, StoredPages, audit_mark
from .models import Provider

__all__ = ["LIST_PAGE_SIZE", "ParsSnapshot", "ProblemRow", "audit_mark", "build_pars_snapshot"]


@dataclass(frozen=True)
class ProblemRow:
    learner: str
    activity_title: str
    completion_date: datetime.date
    problems: tuple[str, ...]


@dataclass(kw_only=True)
class ParsSnapshot(Snapshot):
    provider_id: int
    start: datetime.date
    end: datetime.date
    rows: int  # completions of the range to report
    ready: int
    invalid: int
    next_batch: int
    held_back: int
    states: list[moc.ActivityState]

    def problems(self) -> StoredPages[ProblemRow]:
        """The rows with problems, a stored page at a time (credits/list_snapshot.py)."""
        return self.pages("problems", self.invalid)


def _key(provider_id: int, start: datetime.date, end: datetime.date) -> str:
    return f"credits:pars-learners:v2:{provider_id}:{start.isoformat()}:{end.isoformat()}"


def pars_snapshot(provider_id: int, start: datetime.date, end: datetime.date) -> ParsSnapshot | None:
    return list_snapshot.read(_key(provider_id, start, end), ParsSnapshot)


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
        key=_key(provider.pk, start, end),
        audit_mark=mark,
        provider_id=provider.pk,
        start=start,
        end=end,
        rows=len(rows),
        ready=len(rows) - len(invalid),
        invalid=len(invalid),
        next_batch=len(plan.lines),
        held_back=len(plan.held_back),
        states=moc.activity_states(provider=provider, start=start, end=end, read=read),
    )
    # The pages first, then the header that names them: a reader never sees a header without pages.
    snapshot.store("problems", invalid)
    snapshot.build_ms = (time.perf_counter() - began) * 1000
    snapshot.save()
    return snapshot


@task()
def refresh_pars_snapshot(provider_id: int, start: str, end: str) -> None:
    """The task: rebuild one provider's PARS snapshot of a range (a removed provider is skipped)."""
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    try:
        provider = Provider.objects.filter(pk=provider_id).first()
        if provider is not None:
            build_pars_snapshot(provider, first, last)
    finally:
        list_snapshot.release(_key(provider_id, first, last))


def request_pars_refresh(provider_id: int, start: datetime.date, end: datetime.date) -> bool:
    """Queue one refresh unless one is queued already (across nodes). With the immediate task
    backend it has run when this returns."""
    return list_snapshot.request_refresh(
        _key(provider_id, start, end),
        lambda: refresh_pars_snapshot.enqueue(provider_id, start.isoformat(), end.isoformat()),
    )


def current_pars_snapshot(
    provider: Provider, start: datetime.date, end: datetime.date
) -> ParsSnapshot | None:
    """What the page shows: the snapshot, refreshed first when missing or stale (queued for the
    worker; in place with the immediate backend). None while the worker builds the first one."""
    return list_snapshot.current(
        _key(provider.pk, start, end), ParsSnapshot, lambda: request_pars_refresh(provider.pk, start, end)
    )
