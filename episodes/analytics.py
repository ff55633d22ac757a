"""Download counting after the IAB Podcast Measurement Guidelines, and the reads behind the host dashboard.

Every audio request is logged (one small insert); a download is counted when one client (hashed
IP + user agent) has fetched, within 24 hours, distinct bytes of one episode that cover the file's
header plus 60 seconds of audio (or the whole file when it is shorter). See docs/download-counting.md.

- Only GET answered 200 or 206 with a body can count: never HEAD, 304, 412 or 416.
- A request for fewer than ``PROBE_BYTES`` (Apple's ``bytes=0-1`` probe and the like) never
  completes a download on its own.
- Ranges are merged, so a client that re-fetches the same bytes gains nothing and one that splits
  the file into several ranges is counted once, when they cover the threshold together.
- Once counted, the same client gets no further count for that episode for 24 hours.
- IPv6 addresses are cut to their /64 before hashing; addresses are never stored, only keyed hashes.
- Bots and requests without a user agent are logged but never counted (episodes/user_agents.py).
"""

import atexit
import hashlib
import hmac
import ipaddress
import json
import logging
import signal
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone

from .delivery import OnServed, Served
from .models import Episode, Show
from .models_analytics import USER_AGENT_MAX, ByteCoverage, DailyEpisodeDownloads, Download, DownloadRequest
from .user_agents import identify

logger = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
AUDIO_SECONDS = 60
PROBE_BYTES = 1024  # "bytes=0-1" and other probes: logged, never enough to count on their own
COUNTABLE_STATUSES = (200, 206)
DASHBOARD_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP_APPS = 8


# --- identity: hashed, never stored in clear ------------------------------------------------------


@lru_cache(maxsize=4)
def _hash_key(secret: str) -> bytes:
    # A fixed key derived from SECRET_KEY (not a daily salt): the 24-hour window spans midnight, and a
    # daily salt would turn one client into two. Rotating SECRET_KEY makes old hashes unlinkable.
    return hashlib.sha256(b"podcastcme.analytics.client:" + secret.encode()).digest()


def _keyed_hash(value: str) -> str:
    key = _hash_key(settings.SECRET_KEY)
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def ip_network_part(ip: str) -> str:
    """The part of an address that identifies a client: IPv4 whole, IPv6 its first 64 bits.

    An IPv6 host picks new interface identifiers (privacy extensions) within its /64, so the same phone
    would otherwise look like many clients. IPv4-mapped IPv6 addresses are treated as IPv4.
    """
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address) + "/64"
    return str(address)


def client_keys(ip: str, user_agent: str) -> tuple[str, str]:
    """(hashed IP, hashed IP + user agent): what the log stores and what de-duplication keys on."""
    network = ip_network_part(ip)
    return _keyed_hash(network), _keyed_hash(f"{network}\n{user_agent}")


# --- the threshold: header + 60 s of audio --------------------------------------------------------


def _synchsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def header_bytes(handle) -> int:
    """Bytes before the audio: the ID3v2 tag of an MP3, or every top-level MP4 box except ``mdat``.

    Reads a few headers only (no audio). The ID3 tag holds the cover art, so it can be hundreds of
    kilobytes: counting "60 s" from byte 0 would count a client that fetched only the picture.
    """
    head = handle.read(10)
    if head[:3] == b"ID3" and len(head) == 10:
        return 10 + _synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)  # + footer when flagged
    if head[4:8] != b"ftyp":
        return 0
    total, offset = 0, 0
    while True:
        handle.seek(offset)
        box = handle.read(16)
        if len(box) < 8:
            return total
        size, kind = int.from_bytes(box[:4], "big"), box[4:8]
        if size == 1 and len(box) == 16:
            size = int.from_bytes(box[8:16], "big")
        if size < 8:  # 0 means "to the end of the file", which only mdat does
            return total
        if kind != b"mdat":
            total += size
        offset += size


@lru_cache(maxsize=2048)
def _threshold(name: str, size: int, bitrate: int, duration: float) -> int:
    """Bytes one client must fetch to count: header + 60 s at the file's bitrate, at most the file."""
    storage = Episode._meta.get_field("audio").storage
    try:
        with storage.open(name, "rb") as handle:
            header = header_bytes(handle)
    except OSError:
        header = 0
    if bitrate <= 0 and duration > 0:
        bitrate = int(size * 8 / duration)
    return min(size, header + bitrate * AUDIO_SECONDS // 8)


def download_threshold(episode: Episode, size: int) -> int:
    # Keyed on the stored name and size: re-tagging an episode rewrites the file and changes its size.
    return _threshold(episode.audio.name, size, episode.audio_bitrate or 0, episode.audio_duration or 0.0)


# --- byte ranges ----------------------------------------------------------------------------------


def union_byte_ranges(ranges: list[list[int]]) -> tuple[list[list[int]], int]:
    """Inclusive byte ranges, merged into sorted disjoint ones; and the number of bytes they cover."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged, sum(last - first + 1 for first, last in merged)


def merge_range(ranges: list[list[int]], start: int, end: int) -> tuple[list[list[int]], int]:
    """Add the inclusive range start-end to sorted, disjoint ranges; return them and the bytes covered."""
    return union_byte_ranges([*ranges, [start, end]])


# --- recording ------------------------------------------------------------------------------------


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
    user: object
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


@lru_cache(maxsize=4096)
def _client(secret: str, ip: str, user_agent: str) -> tuple[str, str, str, bool]:
    # Players send many ranges from one address and app: hash and classify each pair once per process.
    client = identify(user_agent)
    ip_hash, client_key = client_keys(ip, user_agent)
    return ip_hash, client_key, client.app, client.is_bot


def _identify(
    *, episode: Episode, served: Served, ip: str, user_agent: str, user, now: datetime
) -> _Identified:
    user_agent = (user_agent or "").strip()[:USER_AGENT_MAX]
    ip_hash, client_key, app, is_bot = _client(settings.SECRET_KEY, ip or "", user_agent)
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


def _insert_logs(items: list[_Identified]) -> None:
    """The log rows of a batch, without a model instance per request."""
    rows = [[values[name] for name in LOG_FIELDS] for values in (item.log_values() for item in items)]
    if _copy_rows(DownloadRequest, LOG_FIELDS, rows):
        return
    meta, ops = DownloadRequest._meta, connection.ops
    when = LOG_FIELDS.index("requested_at")
    for row in rows:
        row[when] = ops.adapt_datetimefield_value(row[when])
    columns = ", ".join(ops.quote_name(meta.get_field(name).column) for name in LOG_FIELDS)
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


def _contains(ranges: list[list[int]], start: int, end: int) -> bool:
    return any(first <= start and end <= last for first, last in ranges)


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
    if state.counted_at is not None and _within_window(state, now):
        return False, False  # already counted in this window
    threshold = download_threshold(item.episode, served.size)
    if state.window_start is None or state.counted_at is not None or not _within_window(state, now):
        state.window_start, state.ranges, state.covered, state.counted_at = now, [], 0, None
    elif _contains(state.ranges, served.start, served.end) and state.covered < threshold:
        return False, False  # bytes it already had
    state.ranges, state.covered = merge_range(state.ranges, served.start, served.end)
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
    user: object = None
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
    new, changed, downloads, daily = {}, {}, [], {}
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


class _Buffer:
    """Requests waiting to be recorded in bulk by a background thread, once a second or so.

    Writing each request's row as it is served costs a database round trip or two per audio range,
    a large share of serving one; in bulk the cost per request is a fraction of that. A crash loses
    at most the last interval's requests (the process flushes on a normal exit).
    """

    MAX_PENDING = 5_000  # wake the writer early under heavy traffic

    def __init__(self):
        self._pending: list[Pending] = []
        self._lock = threading.Lock()
        # Held while a batch is written: a flush at exit waits for the writer thread's batch in
        # flight instead of finding the list empty while that batch dies with the daemon thread.
        self._writing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._exit_registered = False

    def add(self, item: Pending, interval: float) -> None:
        with self._lock:
            self._pending.append(item)
            full = len(self._pending) >= self.MAX_PENDING
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(interval,), name="download-counter", daemon=True
                )
                self._thread.start()
                if not self._exit_registered:
                    atexit.register(self.flush)  # a normal exit (gunicorn's graceful stop) records the rest
                    self._exit_registered = True
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Record everything pending now, in the calling thread; the number of requests recorded."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, []
            for attempt in (1, 2):  # a batch is one transaction: after a lost connection, try it again whole
                try:
                    if pending:
                        record_many(pending)
                    break
                except DatabaseError:
                    if attempt == 2:
                        raise
                    connection.close_if_unusable_or_obsolete()
            return len(pending)

    def _run(self, interval: float) -> None:
        from django.db import close_old_connections

        while True:
            self._wake.wait(interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # never let the writer die: the next interval tries again
                logger.exception("buffered download requests not recorded")
            close_old_connections()


_buffer = _Buffer()


def flush_pending() -> int:
    """Record the buffered requests now (tests, management commands, shutdown)."""
    return _buffer.flush()


def flush_on_sigterm() -> bool:
    """Make SIGTERM a normal exit where the server leaves it to Python; True if that was needed.

    Called by the WSGI/ASGI entry points. gunicorn (and uvicorn) already turn SIGTERM into a
    normal exit, and the buffer's exit handler (atexit) records what is left. A server that leaves
    SIGTERM to Python's default (Django's runserver, a bare WSGI server) dies at once, without exit
    handlers, and the buffer is lost. Only then, and only from the main thread (the one that may
    set signal handlers), SIGTERM raises SystemExit instead: the main thread unwinds (locks and
    transactions are released, not entered again from the handler), then the exit handlers run.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return False  # the server handles SIGTERM (gunicorn installs its handler before loading the app)

    def _exit(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    return True


def counting_enabled() -> bool:
    return getattr(settings, "PODCASTCME_COUNT_DOWNLOADS", True)


def buffer_seconds() -> float:
    """0: record each request as it is served; more: buffer requests and record them in bulk."""
    return float(getattr(settings, "PODCASTCME_COUNT_BUFFER_SECONDS", 0) or 0)


def recorder_for(episode: Episode, *, user=None) -> OnServed:
    """The ``on_served`` hook for one episode's audio (``user``: the listener of a personal feed).

    Counting never costs a listener their audio: a database error is logged and the bytes still go out.
    """

    def on_served(request: HttpRequest, served: Served) -> None:
        ip = request.META.get("REMOTE_ADDR", "")
        user_agent = request.META.get("HTTP_USER_AGENT", "")  # not request.headers: no dict to build
        interval = buffer_seconds()
        if interval > 0:
            _buffer.add(Pending(episode, served, ip, user_agent, user, timezone.now()), interval)
            return
        try:
            record_request(episode=episode, served=served, ip=ip, user_agent=user_agent, user=user)
        except DatabaseError:
            logger.exception("download of episode %s not recorded", episode.pk)

    return on_served


# --- reads for the host dashboard (daily aggregates only, never the log) --------------------------


def parse_days(value: str | None) -> int:
    """The dashboard period from ``?days=``: 7, 30 or 90; anything else falls back to 30."""
    try:
        days = int(value or DEFAULT_DAYS)
    except (TypeError, ValueError):
        return DEFAULT_DAYS
    return days if days in DASHBOARD_DAYS else DEFAULT_DAYS


@dataclass(frozen=True)
class ShowDownloads:
    days: int
    first_day: date
    last_day: date
    per_day: list[tuple[date, int]]  # every day of the period, zeros included
    episodes: list[Episode]  # annotated with .period_downloads and .all_time_downloads
    apps: list[tuple[str, int]]  # the most used apps in the period, most first
    total: int


def show_downloads(*, show: Show, days: int, today: date | None = None) -> ShowDownloads:
    """Counted downloads of one show over the last ``days`` days: three queries, whatever the traffic."""
    last_day = today or timezone.localdate()
    first_day = last_day - timedelta(days=days - 1)
    period = DailyEpisodeDownloads.objects.filter(show=show, day__gte=first_day, day__lte=last_day)
    by_day = dict(period.values_list("day").annotate(total=Sum("count")).order_by())
    per_day = [(first_day + timedelta(n), by_day.get(first_day + timedelta(n), 0)) for n in range(days)]
    in_period = Q(daily_downloads__day__gte=first_day, daily_downloads__day__lte=last_day)
    episodes = list(
        Episode.objects.filter(show=show)
        .annotate(
            period_downloads=Coalesce(Sum("daily_downloads__count", filter=in_period), 0),
            all_time_downloads=Coalesce(Sum("daily_downloads__count"), 0),
        )
        .order_by("-period_downloads", "-publish_at", "-id")
    )
    apps = list(period.values_list("app").annotate(total=Sum("count")).order_by("-total", "app")[:TOP_APPS])
    return ShowDownloads(
        days=days,
        first_day=first_day,
        last_day=last_day,
        per_day=per_day,
        episodes=episodes,
        apps=[(app or "Other", total) for app, total in apps],
        total=sum(count for _, count in per_day),
    )
