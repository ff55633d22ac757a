"""Push updates: when a public feed changes, tell the operator's WebSub hubs and podping endpoints.

Apps and directories that listen to a hub or to podping fetch the feed at once instead of polling
it every hour. The services call ``feed_changed`` where they bump ``Show.content_changed_at``; the
ping itself is a task, run after the commit by the worker, so a hub that is down or slow never
holds a transaction or a host's page. docs/push-updates.md.

- WebSub (W3C WebSub / PubSubHubbub 0.4 publisher ping): ``POST hub.mode=publish&hub.url=<feed>``
  to each hub; the feed declares ``<atom:link rel="hub">`` beside its ``rel="self"``.
- podping (podping.cloud's HTTP API): ``GET <endpoint>?url=<feed>`` with the publisher's token in
  the ``Authorization`` header; the feed declares ``<podcast:podping usesPodping="true"/>``.

Debounced: the first change of a show opens a window of ``PODCASTCME_PUSH_DEBOUNCE_SECONDS`` (a key
added in the default cache) and enqueues one ping for its end; changes inside the window ride on
that ping, which announces the feed as it is then. A target that fails (5xx, timeout, refused
connection) is tried again after 1, 2, 4 ... minutes, MAX_ATTEMPTS tries in all, then logged as
given up; one that refuses the ping (4xx: a bad token, an unknown feed) is logged at once. Only
public feed URLs are ever sent: a personal feed is private and has no ping.

Higher apps hear of the same changes through ``register_feed_listener`` (fediverse federates the
show's episodes from it): listeners are called after the commit whether or not ping targets are
configured.
"""

import http.client
import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django_tasks import task

from .models import Episode, Show

logger = logging.getLogger(__name__)

WEBSUB, PODPING = "websub", "podping"
MAX_ATTEMPTS = 6  # about half an hour of retries: 1 + 2 + 4 + 8 + 16 minutes
MAX_RETRY_DELAY = timedelta(hours=1)
_WINDOW_KEY = "podcastcme:push:{pk}"
_DUE_KEY = "podcastcme:push:{pk}:due:{at}"
_RETRYABLE_4XX = {408, 425, 429}  # timeout, too early, too many requests: worth another try


class PingFailed(Exception):
    """The target did not take the ping now (5xx, timeout, no connection): try again later."""


class PingRefused(PingFailed):
    """The target refused the ping (4xx): trying again will not help."""


# Called with a show's id after the commit of every feed change (register_feed_listener).
_feed_listeners: list[Callable[[int], None]] = []


def register_feed_listener(fn: Callable[[int], None]) -> None:
    """Call ``fn(show_id)`` after the commit wherever ``feed_changed(show)`` is called.

    For apps above episodes (fediverse registers it in its AppConfig.ready()): episodes never imports
    them. Registering the same function twice keeps one registration. A listener that raises is
    logged and does not stop the others, the pings, or the change itself (already committed).
    """
    if fn not in _feed_listeners:
        _feed_listeners.append(fn)


def _notify_listeners(show_id: int) -> None:
    for fn in list(_feed_listeners):
        try:
            fn(show_id)
        except Exception:  # a listener's failure is its own; the change is committed
            logger.exception("Feed listener %s failed for show %s.", getattr(fn, "__qualname__", fn), show_id)


def push_configured() -> bool:
    return bool(settings.PODCASTCME_WEBSUB_HUBS or settings.PODCASTCME_PODPING_URLS)


def declared_hubs() -> list[str]:
    """The WebSub hubs a public feed names in <atom:link rel="hub">."""
    return list(settings.PODCASTCME_WEBSUB_HUBS)


def declares_podping() -> bool:
    return bool(settings.PODCASTCME_PODPING_URLS)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_RETRY_DELAY)


def _targets() -> list[list[str]]:
    # Lists, not tuples: task arguments travel as JSON.
    return [[WEBSUB, url] for url in settings.PODCASTCME_WEBSUB_HUBS] + [
        [PODPING, url] for url in settings.PODCASTCME_PODPING_URLS
    ]


def _can_defer() -> bool:
    return bool(send_feed_pings.get_backend().supports_defer)


def feed_changed(show: Show) -> None:
    """Announce that ``show``'s public feed changed, once the caller's transaction commits.

    Nothing is sent for a transaction that rolls back; no ping without configured targets. The
    feed listeners (``register_feed_listener``) are called after the commit in any case.
    """
    if push_configured():
        transaction.on_commit(partial(_schedule, show.pk), robust=True)
    if _feed_listeners:
        transaction.on_commit(partial(_notify_listeners, show.pk), robust=True)


def _schedule(show_id: int) -> None:
    """After the commit: one ping at the end of the show's debounce window, and one for the moment
    its next scheduled episode becomes public (no write happens then, so nothing else would ping)."""
    targets = _targets()
    if not targets:
        return
    if not _can_defer():
        # The immediate backend (development, tests) runs the task here, at once: one ping per
        # change, no debounce and no later retry (it cannot wait). Production queues in the database.
        send_feed_pings.enqueue(show_id, targets, 1)
        return
    now = timezone.now()
    delay = float(settings.PODCASTCME_PUSH_DEBOUNCE_SECONDS)
    if delay <= 0 or _opens_window(_WINDOW_KEY.format(pk=show_id), delay):
        # A second after the window closes: a change made while it was open is in the feed then.
        send_feed_pings.using(run_after=now + timedelta(seconds=delay + 1 if delay > 0 else 0)).enqueue(
            show_id, targets, 1
        )
    due = _next_due(show_id, now)
    if due is not None:
        # Once per scheduled moment, however many edits come before it.
        seconds_until = (due - now).total_seconds()
        if _opens_window(_DUE_KEY.format(pk=show_id, at=int(due.timestamp())), seconds_until + 60):
            send_feed_pings.using(run_after=due + timedelta(seconds=1)).enqueue(show_id, targets, 1)


def _opens_window(key: str, seconds: float) -> bool:
    """True for the first caller in ``seconds`` (cache.add); True as well when the cache is down
    (a ping too many beats a change never announced)."""
    try:
        return bool(cache.add(key, 1, timeout=max(1, math.ceil(seconds))))
    except Exception as error:  # a cache backend's own errors (Redis down) have no common class
        logger.warning("Push updates: the cache is unavailable (%s); pinging without debounce.", error)
        return True


def _next_due(show_id: int, now: datetime) -> datetime | None:
    return Episode.objects.filter(
        show_id=show_id, status=Episode.Status.PUBLISHED, publish_at__gt=now
    ).aggregate(due=Min("publish_at"))["due"]


@task()
def send_feed_pings(show_id: int, targets: list[list[str]], attempt: int = 1) -> dict[str, int]:
    """One try at telling each target that the show's public feed changed (run by the worker,
    outside any transaction). Targets that fail are tried again later; the rest are done."""
    show = Show.objects.filter(pk=show_id).only("slug").first()
    if show is None:
        return {"sent": 0, "failed": 0}  # deleted since: nothing to announce
    feed_url = show.feed_url  # the public feed: the only URL a ping ever carries
    timeout = float(settings.PODCASTCME_PUSH_TIMEOUT_SECONDS)
    sent, failed = 0, []
    for kind, url in targets:
        try:
            _ping(kind, url, feed_url, timeout)
        except PingRefused as error:
            logger.error("Push updates: %s %s refused the ping for %s (%s); not retried.",
                         kind, _where(url), feed_url, error)  # fmt: skip
        except PingFailed as error:
            failed.append([kind, url])
            logger.warning("Push updates: %s %s did not take the ping for %s (try %d: %s).",
                           kind, _where(url), feed_url, attempt, error)  # fmt: skip
        else:
            sent += 1
            logger.info("Push updates: %s %s pinged for %s.", kind, _where(url), feed_url)
    if failed:
        _retry(show_id, failed, attempt, feed_url)
    return {"sent": sent, "failed": len(failed)}


def _retry(show_id: int, failed: list[list[str]], attempt: int, feed_url: str) -> None:
    names = ", ".join(f"{kind} {_where(url)}" for kind, url in failed)
    if attempt >= MAX_ATTEMPTS:
        logger.error("Push updates: gave up on %s for %s after %d tries.", names, feed_url, attempt)
        return
    if not _can_defer():
        logger.error("Push updates: %s not pinged for %s; this task backend cannot retry later.",
                     names, feed_url)  # fmt: skip
        return
    at = timezone.now() + retry_delay(attempt)
    send_feed_pings.using(run_after=at).enqueue(show_id, failed, attempt + 1)


def _where(url: str) -> str:
    """A target for the log: scheme, host and path (a query string may carry a key)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


class _NoRedirects(HTTPRedirectHandler):
    """A hub's or podping's redirect is an answer, never followed: urllib would carry the podping
    token (the Authorization header) and the POST to wherever it points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _ping(kind: str, url: str, feed_url: str, timeout: float) -> None:
    headers = {"User-Agent": f"podcastcme (+{settings.SITE_URL})"}
    if kind == WEBSUB:
        body = urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = Request(url, data=body, headers=headers, method="POST")
    elif kind == PODPING:
        if settings.PODCASTCME_PODPING_TOKEN:
            headers["Authorization"] = settings.PODCASTCME_PODPING_TOKEN
        separator = "&" if urlsplit(url).query else "?"
        request = Request(url + separator + urlencode({"url": feed_url}), headers=headers, method="GET")
    else:
        raise PingRefused(f"unknown kind of target {kind!r}")
    try:
        opener = build_opener(_NoRedirects)
        with opener.open(request, timeout=timeout) as response:  # the operator's http(s) URLs
            response.read(64 * 1024)  # a short answer; never more than this is read
    except HTTPError as error:
        error.close()
        if 300 <= error.code < 400:  # set the target's final URL in the settings
            raise PingRefused(f"HTTP {error.code} (a redirect: not followed)") from None
        if 400 <= error.code < 500 and error.code not in _RETRYABLE_4XX:
            raise PingRefused(f"HTTP {error.code}") from None
        raise PingFailed(f"HTTP {error.code}") from None
    except (URLError, OSError, http.client.HTTPException) as error:  # refused, unreachable, timed out
        reason = getattr(error, "reason", None) or error
        raise PingFailed(f"{type(error).__name__}: {reason}") from None
