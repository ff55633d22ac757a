"""Reads for the coordinator's report and list pages whose cost does not grow with the claims
(issue 14 item 9; docs/reports-at-scale.md).

- The certificate list is read a page at a time by keyset ("older than this certificate", "newer
  than that one") along the index on ``Certificate(issued_at, id)``: no OFFSET over the pages before
  it, no COUNT of every certificate.
- An activity report's figures are aggregates over every attempt, evaluation and certificate of
  the activity: they are built by a task (``refresh_activity_report``) into a snapshot kept in the
  default cache (the database cache, or Redis on several nodes), and the page reads the snapshot.
  A snapshot older than ``REPORT_MAX_AGE`` is served as it is while one refresh is queued (the
  coordinator sees when the figures were taken, and may ask for a refresh).
"""

import datetime
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from . import reports
from .models import Activity, Certificate

# --- The coordinator's certificate list ----------------------------------------------------------

PAGE_SIZES = (25, 50, 100)


@dataclass
class CertificatePage:
    certificates: list[Certificate]
    size: int
    first: bool  # the newest certificates: no "Newer" link
    has_older: bool
    has_newer: bool

    @property
    def older_cursor(self) -> int | None:
        return self.certificates[-1].pk if self.has_older and self.certificates else None

    @property
    def newer_cursor(self) -> int | None:
        return self.certificates[0].pk if self.has_newer and self.certificates else None


class BadCursor(LookupError):
    """The page's cursor is not one of the coordinator's certificates (a stale or hand-made link)."""


def _cursor(certificates: QuerySet[Certificate], value: str) -> tuple[datetime.datetime, int]:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise BadCursor(value) from None
    found = certificates.filter(pk=pk).values_list("issued_at", "id").first()
    if found is None:
        raise BadCursor(value)
    return found


def certificate_page(
    certificates: QuerySet[Certificate], *, size: int, before: str | None = None, after: str | None = None
) -> CertificatePage:
    """One page of ``certificates`` (already filtered to the coordinator's and by the search),
    newest first: the newest ``size`` ones, those just older than certificate ``before`` or just
    newer than certificate ``after``. Two queries at most (the cursor's date, the page), whatever
    the number of certificates or the page's depth. Raises BadCursor for an unknown cursor."""
    rows = certificates.select_related("claim__learner", "claim__activity")
    if after:
        issued_at, pk = _cursor(certificates, after)
        # The range's bound (issued_at >= ...) is what the index is read from; the rest breaks ties.
        newer = rows.filter(
            Q(issued_at__gt=issued_at) | Q(issued_at=issued_at, id__gt=pk), issued_at__gte=issued_at
        )
        found = list(newer.order_by("issued_at", "id")[: size + 1])
        has_newer = len(found) > size
        page = list(reversed(found[:size]))
        return CertificatePage(page, size, first=not has_newer, has_older=True, has_newer=has_newer)
    if before:
        issued_at, pk = _cursor(certificates, before)
        rows = rows.filter(
            Q(issued_at__lt=issued_at) | Q(issued_at=issued_at, id__lt=pk), issued_at__lte=issued_at
        )
    found = list(rows.order_by("-issued_at", "-id")[: size + 1])
    return CertificatePage(
        found[:size], size, first=not before, has_older=len(found) > size, has_newer=bool(before)
    )


# --- An activity's report: a snapshot built by a task --------------------------------------------

# How old a snapshot may be before the page queues a refresh (it still shows the one it has).
REPORT_MAX_AGE = datetime.timedelta(seconds=60)
# Kept this long in the cache (a report nobody opens for a day is built again when opened).
SNAPSHOT_TIMEOUT = 24 * 3600
# One refresh queued at a time per activity, across the nodes (cache.add is atomic).
REFRESH_LOCK_SECONDS = 120


@dataclass
class ReportSnapshot:
    report: reports.ActivityReport
    taken_at: datetime.datetime
    build_ms: float
    # How many evaluations have a comment / an intended change: the pagers' page counts.
    texts: dict[str, int]

    def is_stale(self, now: datetime.datetime | None = None) -> bool:
        return (now or timezone.now()) - self.taken_at > REPORT_MAX_AGE


def _key(activity_id: int) -> str:
    return f"credits:activity-report:v1:{activity_id}"


def _lock_key(activity_id: int) -> str:
    return f"credits:activity-report:v1:{activity_id}:refreshing"


def report_snapshot(activity_id: int) -> ReportSnapshot | None:
    """The activity's last report snapshot (one cache read), or None before the first one."""
    snapshot = cache.get(_key(activity_id))
    return snapshot if isinstance(snapshot, ReportSnapshot) else None


def build_report_snapshot(activity: Activity) -> ReportSnapshot:
    """Aggregate the activity's figures now (three grouped queries, credits/reports.py) and keep them."""
    start = time.perf_counter()
    report = reports.activity_report(activity)
    texts = {kind: reports.evaluation_texts(activity, kind=kind).count() for kind in TEXT_KINDS}
    snapshot = ReportSnapshot(
        report=report, taken_at=timezone.now(), build_ms=(time.perf_counter() - start) * 1000, texts=texts
    )
    cache.set(_key(activity.pk), snapshot, SNAPSHOT_TIMEOUT)
    return snapshot


@task()
def refresh_activity_report(activity_id: int) -> None:
    """The task: rebuild one activity's report snapshot (a removed activity is skipped)."""
    try:
        activity = Activity.objects.select_related("provider").get(pk=activity_id)
        build_report_snapshot(activity)
    finally:
        cache.delete(_lock_key(activity_id))


def request_report_refresh(activity_id: int) -> bool:
    """Queue one refresh of the activity's snapshot unless one is queued already (across nodes).
    With the immediate task backend (development, tests) it has run when this returns."""
    if not cache.add(_lock_key(activity_id), True, REFRESH_LOCK_SECONDS):
        return False
    try:
        refresh_activity_report.enqueue(activity_id)
    except Exception:
        cache.delete(_lock_key(activity_id))  # the next view tries again
        raise
    return True


TEXT_KINDS = ("changes", "comments")


class CountedPaginator(Paginator):
    """A paginator told its count (the snapshot's) instead of counting every row on each view: a
    page is then one LIMIT/OFFSET read. Rows added since the snapshot appear first (newest first)
    and the oldest wait for the next snapshot to get their last page."""

    def __init__(self, object_list, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached property


def evaluation_text_page(
    activity: Activity, snapshot: ReportSnapshot, *, kind: str, number: str | None
) -> Page:
    """One page (``reports.TEXT_PAGE_SIZE``) of the learners' comments or intended changes, newest
    first; a page number out of range shows the last page, a word the first (Django's get_page)."""
    paginator = CountedPaginator(
        reports.evaluation_texts(activity, kind=kind),
        reports.TEXT_PAGE_SIZE,
        count=snapshot.texts.get(kind, 0),
    )
    return paginator.get_page(number)


def current_report(activity: Activity) -> ReportSnapshot | None:
    """What the report page shows: the snapshot, refreshed first when it is missing or stale
    (queued for the worker; done in place with the immediate backend). None while the first one
    is being built by the worker: the page says the figures are being prepared."""
    snapshot = report_snapshot(activity.pk)
    if snapshot is None or snapshot.is_stale():
        request_report_refresh(activity.pk)
        snapshot = report_snapshot(activity.pk) or snapshot
    return snapshot
