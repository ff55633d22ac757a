"""Importing a podcast: fetching the feed, artwork and audio over HTTP (or a local file)."""

import http.client
import io
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from .common import CHUNK, DEFAULT_TIMEOUT, MAX_FEED_BYTES, USER_AGENT, FeedImportError

# --- Fetching ----------------------------------------------------------------------------------


def _network_message(url: str, error: BaseException, timeout: float) -> str:
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, BaseException):
        error = error.reason
    host = urlsplit(url).netloc
    if isinstance(error, TimeoutError | socket.timeout) or "timed out" in str(error):
        return _("No answer from %(url)s within %(seconds)g seconds (timed out).") % {
            "url": url,
            "seconds": timeout,
        }
    if isinstance(error, ConnectionRefusedError):
        return _("Connection refused by %(host)s: is the address right and the server up?") % {"host": host}
    if isinstance(error, socket.gaierror):
        return _("Unknown host %(host)s.") % {"host": host}
    if isinstance(error, ssl.SSLError):
        return _("Secure connection to %(host)s failed (%(error)s).") % {"host": host, "error": error}
    return _("Could not fetch %(url)s (%(error)s).") % {"url": url, "error": error}


def _open(url: str, timeout: float, error_class: type[Exception]):
    """Open an http(s) URL; any failure becomes ``error_class`` with a message for a person."""
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        # A feed must not make us read local files (file://) or other schemes urllib knows.
        raise error_class(_("Only http and https addresses can be fetched, not %(url)s.") % {"url": url})
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # the scheme was checked above
    except urllib.error.HTTPError as error:
        error.close()
        raise error_class(
            _("%(url)s answered HTTP %(status)d %(reason)s.")
            % {"url": url, "status": error.code, "reason": error.reason}
        ) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise error_class(_network_message(url, error, timeout)) from None


def _copy(
    response,
    out,
    *,
    url: str,
    limit: int,
    timeout: float,
    error_class: type[Exception],
    on_bytes: Callable[[int, int | None], None] | None = None,
    expected: int | None = None,
) -> int:
    """Stream a response body into ``out`` in chunks, refusing more than ``limit`` bytes."""
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    too_large = _("%(url)s is larger than %(mb)d MB, the most we accept.") % {
        "url": url,
        "mb": limit // (1024 * 1024),
    }
    if total is not None and total > limit:
        raise error_class(too_large)
    done = 0
    try:
        while chunk := response.read(CHUNK):
            done += len(chunk)
            if done > limit:
                raise error_class(too_large)
            out.write(chunk)
            if on_bytes is not None:
                on_bytes(done, total or expected)
    except (OSError, http.client.HTTPException) as error:
        raise error_class(_network_message(url, error, timeout)) from None
    if total is not None and done < total:
        raise error_class(
            _("The download of %(url)s stopped after %(done)d of %(total)d bytes.")
            % {"url": url, "done": done, "total": total}
        )
    return done


def fetch_feed(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The feed's bytes, from an http(s) URL or a local file."""
    if "://" in source:
        with _open(source, timeout, FeedImportError) as response:
            buffer = io.BytesIO()
            _copy(
                response,
                buffer,
                url=source,
                limit=MAX_FEED_BYTES,
                timeout=timeout,
                error_class=FeedImportError,
            )
            return buffer.getvalue()
    path = Path(source)
    if not path.is_file():
        raise FeedImportError(
            _("No such file: %(path)s (give a feed URL or a local file).") % {"path": source}
        )
    if path.stat().st_size > MAX_FEED_BYTES:
        raise FeedImportError(_("%(path)s is too large to be a podcast feed.") % {"path": source})
    return path.read_bytes()
