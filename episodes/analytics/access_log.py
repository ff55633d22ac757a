"""Counting downloads from nginx's JSON access log, when nginx sends the audio (docs/download-counting.md).

nginx writes one JSON object a line (``log_format podcastcme_json``, deploy/nginx/podcastcme-http.conf).
Each audio line nginx answered itself (public audio from the link tree, personal-feed audio from a
signed link) becomes the same ``Served`` record the app's own audio views hand to the counter, and
goes through the same rules in the same order (``recording.record_many``): one rule, one place.
Lines the app answered (``upstream`` set: a draft preview, the first request after publication, an
X-Accel-Redirect) were counted by the app as it served them, and are skipped here.

Files are read idempotently: each is known by its identity (device, inode and a hash of its first
line, ``AccessLogCursor``), which survives logrotate's rename, and by the offset of the last whole
line recorded, which moves in the same transaction as the requests it covers. Reading the rotated
file (``<log>.1``) then the current one, again and again, records every line exactly once; a line
still being written (no newline yet) waits for the next run.
"""

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction

from ..delivery import Served
from ..models import AccessLogCursor, Episode, PersonalFeed
from .recording import Pending, record_many

logger = logging.getLogger(__name__)

BATCH_LINES = 2_000
PUBLIC_AUDIO = re.compile(r"^/audio/(?P<pk>[0-9]+)/(?P<slug>[-a-zA-Z0-9_]+)\.(?P<ext>mp3|m4a|ogg|opus)$")
PRIVATE_AUDIO = re.compile(r"^/private-audio/[^/]+/[0-9]+/(?P<feed>[0-9]+)/(?P<pk>[0-9]+)/(?P<file>.+)$")
CONTENT_RANGE = re.compile(r"^bytes (?:(?P<first>[0-9]+)-(?P<last>[0-9]+)|\*)/(?P<size>[0-9]+)$")
STATUSES = (200, 206, 304, 412, 416)  # what the app's audio views can answer and report


@dataclass(frozen=True)
class AudioLine:
    """One audio request nginx answered, as the log tells it."""

    episode_id: int
    slug: str  # "" for personal-feed audio (the stored file's path is signed instead)
    ext: str
    feed_id: int | None  # the personal feed whose signed link was used
    time: datetime
    ip: str
    user_agent: str
    method: str
    status: int
    content_range: str
    content_length: int | None


def parse_line(text: str) -> AudioLine | None:
    """The audio request on one log line, or None for any other line (and for one that is not JSON)."""
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    path, upstream = entry.get("audio") or "", entry.get("upstream") or ""
    method, status = entry.get("method"), entry.get("status")
    if not path or upstream or method not in ("GET", "HEAD") or status not in STATUSES:
        return None
    public, private = PUBLIC_AUDIO.match(path), PRIVATE_AUDIO.match(path)
    if public is None and private is None:
        return None
    try:
        when = datetime.fromtimestamp(float(entry["time"]), tz=UTC)
    except (KeyError, TypeError, ValueError):
        return None
    length = str(entry.get("content_length") or "")
    return AudioLine(
        episode_id=int((public or private)["pk"]),  # type: ignore[index]
        slug=public["slug"] if public else "",
        ext=public["ext"] if public else "",
        feed_id=int(private["feed"]) if private else None,
        time=when,
        ip=str(entry.get("ip") or ""),
        user_agent=str(entry.get("ua") or ""),
        method=method,
        status=status,
        content_range=str(entry.get("content_range") or ""),
        content_length=int(length) if length.isdigit() else None,
    )


def served_of(line: AudioLine, size_if_unknown: int) -> Served:
    """The ``Served`` record the app's view would have handed to the counter for the same answer."""
    size, first, last = size_if_unknown, None, None
    found = CONTENT_RANGE.match(line.content_range)
    if found:
        size = int(found["size"])
        if found["first"] is not None:
            first, last = int(found["first"]), int(found["last"])
    elif line.status == 200 and line.content_length is not None:
        size = line.content_length
        first, last = 0, size - 1
    body = line.method == "GET" and line.status in (200, 206) and first is not None and size > 0
    return Served(
        method=line.method,
        status=line.status,
        start=first if body else None,
        end=last if body else None,
        size=size,
        via_nginx=True,
        range_requested=line.status == 206,
    )


@dataclass
class Ingested:
    """What one run did: lines read, audio requests recorded, downloads counted, lines skipped."""

    lines: int = 0
    recorded: int = 0
    counted: int = 0
    files: list[str] = field(default_factory=list)

    def add(self, other: "Ingested") -> None:
        self.lines += other.lines
        self.recorded += other.recorded
        self.counted += other.counted
        self.files.extend(other.files)


class _Lookup:
    """Episodes and personal feeds named in the log, each read once per run."""

    def __init__(self) -> None:
        self._episodes: dict[int, Episode | None] = {}
        self._feeds: dict[int, PersonalFeed | None] = {}

    def episode(self, pk: int) -> Episode | None:
        if pk not in self._episodes:
            self._episodes[pk] = Episode.objects.filter(pk=pk).first()
        return self._episodes[pk]

    def feed(self, pk: int) -> PersonalFeed | None:
        if pk not in self._feeds:
            self._feeds[pk] = PersonalFeed.objects.select_related("user").filter(pk=pk).first()
        return self._feeds[pk]

    def pending(self, line: AudioLine) -> Pending | None:
        episode = self.episode(line.episode_id)
        if episode is None:
            return None  # deleted since: its counts went with it
        if line.feed_id is None:
            if line.slug != episode.slug or line.ext != episode.audio_extension:
                return None
            user = None
        else:
            feed = self.feed(line.feed_id)
            if feed is None or feed.show_id != episode.show_id:
                return None
            user = feed.user
        served = served_of(line, episode.audio_size)
        return Pending(episode, served, line.ip, line.user_agent, user, line.time)


def _identity(handle) -> tuple[int, int, str] | None:
    status = os.fstat(handle.fileno())
    handle.seek(0)
    first = handle.readline()
    if not first.endswith(b"\n"):
        return None  # empty, or its first line is still being written
    return status.st_dev, status.st_ino, hashlib.sha256(first).hexdigest()


def _whole_lines(handle, limit: int) -> tuple[list[bytes], int]:
    """Up to ``limit`` complete lines from the handle's position, and the offset after the last."""
    lines: list[bytes] = []
    offset = handle.tell()
    while len(lines) < limit:
        line = handle.readline()
        if not line.endswith(b"\n"):
            break  # end of file, or a line nginx is still writing
        lines.append(line)
        offset += len(line)
    return lines, offset


def ingest_file(path: Path, *, batch_lines: int = BATCH_LINES, lookup: _Lookup | None = None) -> Ingested:
    """Record the lines of one log file not recorded yet."""
    result = Ingested(files=[str(path)])
    lookup = lookup or _Lookup()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return result
    with handle:
        identity = _identity(handle)
        if identity is None:
            return result
        device, inode, first_hash = identity
        while True:
            with transaction.atomic():
                cursor, _ = AccessLogCursor.objects.select_for_update().get_or_create(
                    device=device, inode=inode, first_line_sha256=first_hash, defaults={"path": str(path)}
                )
                handle.seek(cursor.offset)
                lines, offset = _whole_lines(handle, batch_lines)
                if not lines:
                    if cursor.path != str(path):
                        cursor.path = str(path)
                        cursor.save(update_fields=["path", "updated_at"])
                    return result
                parsed = [parse_line(raw.decode("utf-8", "replace")) for raw in lines]
                audio = [line for line in parsed if line is not None]
                # Each nginx worker writes its own block of lines: put a batch back in time order.
                audio.sort(key=lambda line: line.time)
                pending = [item for item in map(lookup.pending, audio) if item is not None]
                result.counted += record_many(pending) if pending else 0
                result.lines += len(lines)
                result.recorded += len(pending)
                cursor.offset, cursor.lines, cursor.path = offset, cursor.lines + len(lines), str(path)
                cursor.save(update_fields=["offset", "lines", "path", "updated_at"])


def log_files(path: Path) -> list[Path]:
    """The files to read for a log, oldest first: logrotate's ``<log>.1`` (if any), then the log."""
    return [path.with_name(path.name + ".1"), path]


def ingest(paths: Iterable[Path], *, batch_lines: int = BATCH_LINES) -> Ingested:
    """Record every new audio line of these logs and their rotated copies, exactly once."""
    total, lookup = Ingested(), _Lookup()
    for path in paths:
        for file in log_files(Path(path)):
            total.add(ingest_file(file, batch_lines=batch_lines, lookup=lookup))
    return total
