"""Recording off the request path: the hook the audio views attach, a per-process buffer, its writer.

With ``PODCASTCME_COUNT_BUFFER_SECONDS`` above 0 each worker keeps the requests it served and a
background thread records them in bulk (``recording.record_many``); a normal exit, and SIGTERM
where the server leaves it to Python, records what is left.
"""

import atexit
import logging
import signal
import threading

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.http import HttpRequest
from django.utils import timezone

from ..delivery import OnServed, Served
from ..models import Episode
from .recording import Pending, record_many, record_request

logger = logging.getLogger(__name__)


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
    return settings.PODCASTCME_COUNT_DOWNLOADS


def buffer_seconds() -> float:
    """0: record each request as it is served; more: buffer requests and record them in bulk."""
    return float(settings.PODCASTCME_COUNT_BUFFER_SECONDS or 0)


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
