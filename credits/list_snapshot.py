"""What the coordinator's checking pages share (issue 14 item 9; docs/reports-at-scale.md): a page's
figures and long lists computed by a task and kept in the default cache (the database cache, or
Redis on several nodes), so the page costs the same at 100 claims or 10,000.

- ``Snapshot``: the header a page reads in one cache read (when it was taken, the newest audit row's
  id then, the token naming its stored pages); stale when anything was audited since or it is older
  than ``report_selectors.REPORT_MAX_AGE``.
- ``store_pages`` / ``StoredPages``: a long list kept in pages of ``LIST_PAGE_SIZE``, each its own
  cache entry, read back as a sequence for Django's paginator (one cache read per page shown).
- ``request_refresh``: one refresh queued at a time per snapshot across the nodes (a lock in the
  cache); with the immediate task backend it has run when this returns.

Used by credits/pars_snapshot.py (PARS learners) and credits/cpe_snapshot.py (CPE Monitor, CE Broker).
"""

import datetime
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from django.core.cache import cache
from django.utils import timezone

from audit.models import AuditEvent

from . import report_selectors
from .report_selectors import REFRESH_LOCK_SECONDS, SNAPSHOT_TIMEOUT

LIST_PAGE_SIZE = 50  # credits/views/reports_paging.py shows pages of this size: one stored page, one read

T = TypeVar("T")
S = TypeVar("S", bound="Snapshot")


def audit_mark() -> int:
    """The newest audit row's id (one read of the primary key's index)."""
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def new_token() -> str:
    return secrets.token_hex(8)


@dataclass(kw_only=True)
class Snapshot:
    key: str  # its cache key; its pages are named after it and the token
    token: str = field(default_factory=new_token)
    taken_at: datetime.datetime = field(default_factory=timezone.now)
    build_ms: float = 0.0
    audit_mark: int = 0  # the newest audit row's id when it was taken (read before the rows)

    def is_stale(self, *, audit_mark: int, now: datetime.datetime | None = None) -> bool:
        return (
            audit_mark != self.audit_mark
            or (now or timezone.now()) - self.taken_at > report_selectors.REPORT_MAX_AGE
        )

    def pages(self, name: str, count: int) -> "StoredPages[Any]":
        return StoredPages(f"{self.key}:{self.token}:{name}", count)

    def store(self, name: str, rows: Sequence[object]) -> int:
        store_pages(f"{self.key}:{self.token}:{name}", rows)
        return len(rows)

    def save(self) -> None:
        """Keep the header (after its pages: a reader never sees a header without its pages)."""
        cache.set(self.key, self, SNAPSHOT_TIMEOUT)


def read(key: str, kind: type[S]) -> S | None:
    snapshot = cache.get(key)
    return snapshot if isinstance(snapshot, kind) else None


def store_pages(prefix: str, rows: Sequence[object]) -> None:
    cache.set_many(
        {
            f"{prefix}:{n}": list(rows[i : i + LIST_PAGE_SIZE])
            for n, i in enumerate(range(0, len(rows), LIST_PAGE_SIZE))
        },
        SNAPSHOT_TIMEOUT,
    )


class StoredPages(Sequence[T]):
    """A stored list as a sequence for Django's paginator: its length is the count kept in the
    header; a slice (one page of ``LIST_PAGE_SIZE``) is one cache read of the stored page."""

    def __init__(self, prefix: str, count: int) -> None:
        self.prefix = prefix
        self.length = count

    def __len__(self) -> int:
        return self.length

    def _page(self, number: int) -> list[T]:
        return cache.get(f"{self.prefix}:{number}") or []

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
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


def lock_key(key: str) -> str:
    return f"{key}:refreshing"


def release(key: str) -> None:
    """The task's end (in a ``finally``): the next stale view may queue a refresh again."""
    cache.delete(lock_key(key))


def request_refresh(key: str, enqueue: Callable[[], object]) -> bool:
    """Queue one refresh (``enqueue``) unless one is queued already (across nodes)."""
    if not cache.add(lock_key(key), True, REFRESH_LOCK_SECONDS):
        return False
    try:
        enqueue()
    except Exception:
        release(key)  # the next view tries again
        raise
    return True


def current(key: str, kind: type[S], refresh: Callable[[], object]) -> S | None:
    """What a page shows: the snapshot, refreshed first when missing or stale (``refresh``: queue
    it; in place with the immediate backend). None while the worker builds the first one."""
    snapshot = read(key, kind)
    if snapshot is None or snapshot.is_stale(audit_mark=audit_mark()):
        refresh()
        snapshot = read(key, kind) or snapshot
    return snapshot


def checked_again(key: str, kind: type[Snapshot], refresh: Callable[[], object]) -> bool:
    """ "Check again now": queue a refresh; True when a new snapshot is there already (immediate
    backend), False when the worker will build it."""
    before = read(key, kind)
    refresh()
    after = read(key, kind)
    return after is not None and (before is None or after.token != before.token)
