"""Recording audio requests: the log row of each, and the counting rules applied to a client's coverage.

``record_request`` records one request as it is served; ``record_many`` a batch (the buffer's path),
with the same rules and results in a handful of queries.
"""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from accounts.models import User

from ..delivery import Served
from ..intervals import merge_range, ranges_contain
from ..models import USER_AGENT_MAX, ByteCoverage, DailyEpisodeDownloads, Download, DownloadRequest, Episode
from .identity import client_identity
from .thresholds import PROBE_BYTES, download_threshold

WINDOW = timedelta(hours=24)
COUNTABLE_STATUSES = (200, 206)


class _CountedMemo:
    """Per process: (episode, stored file, client) -> until when its download is already counted.

    A player fetches an episode in many ranges; once it is counted, each further range would only read
    the coverage row to learn so. This memo holds facts the database already holds (a counted download
    never becomes uncounted), so a stale entry can only be early, never wrong; it is bounded.
    """

    def __init__(self, size: int = 50_000):
        self._size = size
        self._data: OrderedDict[tuple, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def counted(self, key: tuple, now: datetime) -> bool:
        until = self._data.get(key)
        return until is not None and now < until and now >= until - WINDOW

    def remember(self, key: tuple, until: datetime) -> None:
        with self._lock:
            self._data[key] = until
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


_memo = _CountedMemo()


@dataclass(frozen=True)
class Recorded:
    request: DownloadRequest
    counted: bool  # this request completed a download that now counts


@dataclass(slots=True)
class _Identified:
    """One request with its client worked out: what the log stores, and the coverage key."""

    episode: Episode
    served: Served
    now: datetime
    user: User | None
    ip_hash: str
    client_key: str
    user_agent: str
    app: str
    is_bot: bool
    has_body: bool
    counted: bool = False

    @property
    def eligible(self) -> bool:
        return self.has_body and not self.is_bot and self.served.status in COUNTABLE_STATUSES

    def log_values(self) -> dict:
        served, body = self.served, self.has_body
        return {
            "episode_id": self.episode.pk,
            "requested_at": self.now,
            "ip_hash": self.ip_hash,
            "user_agent": self.user_agent,
            "app": self.app,
            "is_bot": self.is_bot,
            "method": served.method[:8],
            "status": served.status,
            "range_start": served.start if body else None,
            "range_end": served.end if body else None,
            "bytes_sent": served.length if body else 0,
            "counted": self.counted,
            "user_id": getattr(self.user, "pk", None),
        }


LOG_FIELDS = [
    "episode_id", "requested_at", "ip_hash", "user_agent", "app", "is_bot", "method", "status",
    "range_start", "range_end", "bytes_sent", "counted", "user_id",
]  # fmt: skip


def _identify(
    *, episode: Episode, served: Served, ip: str, user_agent: str, user: User | None, now: datetime
) -> _Identified:
    user_agent = (user_agent or "").strip()[:USER_AGENT_MAX]
    ip_hash, client_key, app, is_bot = client_identity(ip or "", user_agent)
    has_body = served.method == "GET" and served.start is not None and served.end is not None
    return _Identified(episode, served, now, user, ip_hash, client_key, user_agent, app, is_bot, has_body)


def _copy_rows(model, fields: list[str], rows: list[list]) -> bool:
    """PostgreSQL: write ``rows`` with COPY (no model instance, no SQL per row). False elsewhere."""
    if connection.vendor != "postgresql":
        return False
    meta, ops = model._meta, connection.ops
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor, connection.wrap_database_errors:  # psycopg errors -> Django's
        with cursor.cursor.copy(f"COPY {ops.quote_name(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return True


def _column(name: str) -> str:
    field = DownloadRequest._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"DownloadRequest.{name} is not a concrete column")
    return field.column


def _insert_logs(items: list[_Identified]) -> None:
    """The log rows of a batch, without a model instance per request."""
    rows = [[values[name] for name in LOG_FIELDS] for values in (item.log_values() for item in items)]
    if _copy_rows(DownloadRequest, LOG_FIELDS, rows):
        return
    meta, ops = DownloadRequest._meta, connection.ops
    when = LOG_FIELDS.index("requested_at")
    for row in rows:
        row[when] = ops.adapt_datetimefield_value(row[when])
    columns = ", ".join(ops.quote_name(_column(name)) for name in LOG_FIELDS)
    placeholders = ", ".join(["%s"] * len(LOG_FIELDS))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})", rows
        )


COVERAGE_FIELDS = ["episode_id", "client_key", "window_start", "ranges", "covered", "counted_at"]


def _insert_coverage(states: list[ByteCoverage]) -> None:
    rows = [
        [s.episode_id, s.client_key, s.window_start, json.dumps(s.ranges), s.covered, s.counted_at]
        for s in states
    ]
    if states and not _copy_rows(ByteCoverage, COVERAGE_FIELDS, rows):
        ByteCoverage.objects.bulk_create(states)


def _within_window(state: ByteCoverage, now: datetime) -> bool:
    # Both ways: buffered requests from several processes may be recorded a little out of order, and
    # a request just before a counted one belongs to the same download, not to a new one.
    anchor = state.counted_at or state.window_start
    return -WINDOW < now - anchor < WINDOW


def _advance(state: ByteCoverage, item: _Identified) -> tuple[bool, bool]:
    """Apply one request to a client's coverage, in memory: (state changed, download completed).

    The one place the rules are applied, for single requests and for batches alike.
    """
    served, now = item.served, item.now
    start, end = served.start, served.end
    if start is None or end is None:  # no body sent: never eligible, so never here
        return False, False
    if state.counted_at is not None and _within_window(state, now):
        return False, False  # already counted in this window
    threshold = download_threshold(item.episode, served.size)
    if state.window_start is None or state.counted_at is not None or not _within_window(state, now):
        state.window_start, state.ranges, state.covered, state.counted_at = now, [], 0, None
    elif ranges_contain(state.ranges, start, end) and state.covered < threshold:
        return False, False  # bytes it already had
    state.ranges, state.covered = merge_range(state.ranges, start, end)
    counted = served.length >= PROBE_BYTES and state.covered >= threshold
    if counted:
        state.counted_at = now
    return True, counted


def _remember(item: _Identified, counted_at: datetime) -> None:
    """After the commit: this client's requests need no coverage read until the window ends."""
    _memo.remember((item.episode.pk, item.episode.audio.name, item.client_key), counted_at + WINDOW)


def _download(state: ByteCoverage, item: _Identified) -> Download:
    return Download(
        episode=item.episode,
        client_key=item.client_key,
        first_requested_at=state.window_start,
        counted_at=item.now,
        app=item.app,
        user=item.user,
    )


def _bump_daily(*, episode: Episode, day: date, app: str, by: int = 1) -> None:
    rows = DailyEpisodeDownloads.objects.filter(episode_id=episode.pk, day=day, app=app)
    if rows.update(count=F("count") + by):
        return
    try:
        with transaction.atomic():
            DailyEpisodeDownloads.objects.create(
                show_id=episode.show_id, episode=episode, day=day, app=app, count=by
            )
    except IntegrityError:  # another worker created the row in between
        rows.update(count=F("count") + by)


def _save_log(item: _Identified) -> DownloadRequest:
    log = DownloadRequest(**item.log_values())
    log.episode = item.episode  # already loaded: no query when the caller reads it
    log.save(force_insert=True)
    return log


def _record_one(item: _Identified) -> DownloadRequest:
    """Log one request and count the download it completes (the synchronous path)."""
    if not item.eligible or _memo.counted(
        (item.episode.pk, item.episode.audio.name, item.client_key), item.now
    ):
        return _save_log(item)
    key = {"episode_id": item.episode.pk, "client_key": item.client_key}
    # A read without a lock settles the common cases in one query: a client already counted, or one
    # re-reading bytes it has. Only new bytes take the locked path.
    seen = ByteCoverage.objects.filter(**key).first()
    if seen is not None and not _advance(seen, item)[0]:
        if seen.counted_at is not None and _within_window(seen, item.now):
            _remember(item, seen.counted_at)
        return _save_log(item)
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                state = None
                if seen is not None or attempt == 2:
                    state = ByteCoverage.objects.select_for_update().filter(**key).first()
                state = state or ByteCoverage(**key)
                changed, item.counted = _advance(state, item)
                if item.counted:
                    _download(state, item).save()
                    _bump_daily(episode=item.episode, day=timezone.localdate(item.now), app=item.app)
                if changed:
                    state.save()
                log = _save_log(item)
            if item.counted:
                _remember(item, item.now)
            return log
        except IntegrityError:  # two first requests of one client at once: the second one retries
            item.counted = False
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def record_request(
    *,
    episode: Episode,
    served: Served,
    ip: str,
    user_agent: str,
    user=None,
    now: datetime | None = None,
) -> Recorded:
    """Log one audio request and count the download it completes, if any.

    ``user`` is the listener when the request came through their personal feed (the download is
    then theirs); ``now`` is for tests, imports and the demo. Usually one read and one insert; a few
    more only while a client is still short of the threshold or at the moment its download counts.
    """
    item = _identify(
        episode=episode, served=served, ip=ip, user_agent=user_agent, user=user, now=now or timezone.now()
    )
    log = _record_one(item)
    return Recorded(request=log, counted=log.counted)


@dataclass(frozen=True)
class Pending:
    """A request waiting in the buffer: what ``record_request`` takes."""

    episode: Episode
    served: Served
    ip: str
    user_agent: str
    user: User | None = None
    now: datetime | None = None


def record_many(pending: list[Pending]) -> int:
    """Record a batch of requests, in order, with a handful of queries whatever its size.

    Same rules and results as calling ``record_request`` for each: the coverage rows of the batch's
    clients are read (and locked) at once, updated in memory, and written back in bulk. Returns the
    number of downloads counted. If another process inserts a coverage row of the same client at
    the same moment, the batch is rolled back and recorded one request at a time instead.
    """
    items = [
        _identify(episode=p.episode, served=p.served, ip=p.ip, user_agent=p.user_agent, user=p.user,
                  now=p.now or timezone.now())
        for p in pending
    ]  # fmt: skip
    countable = [
        item
        for item in items
        if item.eligible
        and not _memo.counted((item.episode.pk, item.episode.audio.name, item.client_key), item.now)
    ]
    try:
        with transaction.atomic():
            _record_batch(countable)
            _insert_logs(items)
    except IntegrityError:
        for item in items:
            item.counted = False
        return sum(_record_one(item).counted for item in items)
    counted = [item for item in countable if item.counted]
    for item in counted:
        _remember(item, item.now)
    return len(counted)


def _record_batch(items: list[_Identified]) -> None:
    if not items:
        return
    wanted = {(item.episode.pk, item.client_key) for item in items}
    states = {
        (state.episode_id, state.client_key): state
        # Locked in id order, so two writers locking overlapping clients cannot deadlock.
        for state in ByteCoverage.objects.select_for_update()
        .filter(episode_id__in={pk for pk, _ in wanted}, client_key__in={key for _, key in wanted})
        .order_by("id")
        if (state.episode_id, state.client_key) in wanted
    }
    new: dict[tuple[int, str], ByteCoverage] = {}
    changed: dict[tuple[int, str], ByteCoverage] = {}
    downloads: list[Download] = []
    daily: dict[tuple[Episode, date, str], int] = {}
    for item in items:
        key = (item.episode.pk, item.client_key)
        state = states.get(key) or new.get(key)
        if state is None:
            state = new[key] = ByteCoverage(episode_id=item.episode.pk, client_key=item.client_key)
        moved, counted = _advance(state, item)
        if moved and state.pk is not None:
            changed[key] = state
        if counted:
            item.counted = True
            downloads.append(_download(state, item))
            day_key = (item.episode, timezone.localdate(item.now), item.app)
            daily[day_key] = daily.get(day_key, 0) + 1
    _insert_coverage([state for state in new.values() if state.window_start is not None])
    ByteCoverage.objects.bulk_update(
        list(changed.values()), ["window_start", "ranges", "covered", "counted_at"]
    )
    Download.objects.bulk_create(downloads)
    for (episode, day, app), by in daily.items():
        _bump_daily(episode=episode, day=day, app=app, by=by)
