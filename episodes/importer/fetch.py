"""Importing a podcast: fetching the feed, artwork and audio over HTTP (or a local file).

Every address comes from a third party's feed, so a fetch must not become a way into our own
network (SSRF): each request, and each redirect hop, resolves the host, refuses any address that is
not on the public internet, connects to the very address it checked (no second DNS answer between
check and connect) and stops at a total deadline, however slowly the server sends. Each hop is
one ``episodes.pinned_http.PinnedRequest``, the request every outgoing fetch of the site uses.
"""

import http.client
import io
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from .. import pinned_http
from .common import CHUNK, DEFAULT_TIMEOUT, USER_AGENT, FeedImportError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = pinned_http.REDIRECT_STATUSES
refused_kind = pinned_http.refused_kind  # where it was first written; episodes/pinned_http.py holds it

# --- Fetching ----------------------------------------------------------------------------------


def fetch_deadline(*, audio: bool = False) -> float:
    """Seconds one download may take in all (connect, redirects, headers and body)."""
    if audio:
        return float(settings.PODCASTCME_IMPORT_AUDIO_DEADLINE_SECONDS)
    return float(settings.PODCASTCME_IMPORT_DEADLINE_SECONDS)


def _network_message(url: str, error: BaseException, timeout: float) -> str:
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


class _Download:
    """One fetch of an http(s) URL: its redirects, each hop a pinned request
    (episodes/pinned_http.py: resolved once, checked, connected to the checked address), and one
    total deadline shared by all hops. The watchdog shuts the socket down when the deadline passes,
    so a server that drips one byte at a time (each within the per-read timeout) is cut off in the
    middle of the headers or body.
    """

    def __init__(self, url: str, *, timeout: float, deadline: float, error_class: type[Exception]):
        self.url = url
        self.timeout = timeout
        self.deadline = deadline
        self.error_class = error_class
        self.ends_at = time.monotonic() + deadline
        self._request: pinned_http.PinnedRequest | None = None
        self.response: http.client.HTTPResponse | None = None
        self.final_url = url
        self.redirects: list[tuple[int, str, str]] = []  # (status, from, to), each hop followed

    def _deadline_error(self) -> Exception:
        return self.error_class(
            _(
                "%(url)s did not finish within %(seconds)g seconds, the longest one download may take: "
                "the server is too slow or holds the connection open."
            )
            % {"url": self.url, "seconds": self.deadline}
        )

    def _error(self, url: str, error: pinned_http.PinnedHTTPError) -> Exception:
        """The pinned request's refusal or failure in the importer's words."""
        if isinstance(error, pinned_http.DeadlineExceeded):
            return self._deadline_error()
        if isinstance(error, pinned_http.BadURL):
            if error.reason == "scheme":
                # A feed must not make us read local files (file://), FTP or other schemes.
                return self.error_class(
                    _("Only http and https addresses can be fetched, not %(url)s.") % {"url": url}
                )
            if error.reason == "no_host":
                return self.error_class(_("%(url)s names no host.") % {"url": url})
            return self.error_class(_("%(url)s is not a valid address.") % {"url": url})
        if isinstance(error, pinned_http.UnknownHost):
            return self.error_class(_("Unknown host %(host)s.") % {"host": urlsplit(url).netloc})
        if isinstance(error, pinned_http.AddressRefused):
            return self.error_class(
                _(
                    "Refused to fetch %(url)s: %(host)s is %(address)s, %(kind)s "
                    "(only public internet addresses are fetched)."
                )
                % {
                    "url": url,
                    "host": error.host,
                    "address": error.address,
                    "kind": pinned_http.kind_label(error.kind),
                }
            )
        if isinstance(error, pinned_http.ConnectionFailed):
            return self.error_class(_network_message(url, error.error, self.timeout))
        return self.error_class(_("Could not fetch %(url)s (%(error)s).") % {"url": url, "error": error})

    def _close_hop(self) -> None:
        if self._request is not None:
            self._request.close()
            self._request = None

    def open(self) -> "_Download":
        url = self.url
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                if time.monotonic() >= self.ends_at:
                    raise self._deadline_error()
                self._request = pinned_http.PinnedRequest(
                    "GET",
                    url,
                    timeout=self.timeout,
                    allow_loopback=settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK,
                    headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
                    deadline=self.deadline,
                    ends_at=self.ends_at,
                )
                try:
                    response = self._request.open()
                except pinned_http.PinnedHTTPError as error:
                    raise self._error(url, error) from None
                if response.status in REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    self._close_hop()
                    if not location:
                        raise self.error_class(
                            _("%(url)s answered a redirect without a Location.") % {"url": url}
                        )
                    target = urljoin(url, location.strip())
                    self.redirects.append((response.status, url, target))
                    url = target
                    continue
                if not 200 <= response.status < 300:
                    raise self.error_class(
                        _("%(url)s answered HTTP %(status)d %(reason)s.")
                        % {"url": url, "status": response.status, "reason": response.reason}
                    )
                self.response = response
                self.final_url = url
                return self
            raise self.error_class(
                _("%(url)s led to more than %(count)d redirects.") % {"url": self.url, "count": MAX_REDIRECTS}
            )
        except BaseException:
            self.close()
            raise

    # What _copy uses.
    @property
    def headers(self):
        assert self.response is not None
        return self.response.headers

    def read(self, size: int) -> bytes:
        assert self._request is not None
        try:
            return self._request.read(size)
        except pinned_http.DeadlineExceeded:
            raise self._deadline_error() from None
        except pinned_http.ConnectionFailed as error:
            raise error.error from None  # _copy words it (the URL, a timeout, a reset)

    def close(self) -> None:
        self._close_hop()

    def __enter__(self) -> "_Download":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _open(url: str, timeout: float, error_class: type[Exception], *, audio: bool = False) -> _Download:
    """Open an http(s) URL on a public address; failures become ``error_class`` with a clear message."""
    return _Download(
        url, timeout=timeout, deadline=fetch_deadline(audio=audio), error_class=error_class
    ).open()


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


GZIP_MAGIC = b"\x1f\x8b"


def gunzipped(data: bytes, *, limit: int, what: str, error_class: type[Exception]) -> bytes:
    """A gzip body sent without being asked for (some hosts do), unpacked; anything else as it is."""
    if not data.startswith(GZIP_MAGIC):
        return data
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        unpacked = unpacker.decompress(data, limit + 1)
    except zlib.error as error:
        raise error_class(
            _("%(what)s is gzip-compressed but damaged (%(error)s).") % {"what": what, "error": error}
        ) from None
    if len(unpacked) > limit or unpacker.unconsumed_tail:
        raise error_class(
            _("%(what)s is larger than %(mb)d MB once unpacked, the most we accept.")
            % {"what": what, "mb": max(1, limit // (1024 * 1024))}
        )
    if not unpacker.eof:
        raise error_class(
            _("%(what)s is gzip-compressed but damaged (it ends before its data does).") % {"what": what}
        )
    return unpacked


@dataclass
class FetchedFeed:
    data: bytes
    url: str = ""  # where it was read from in the end ("" for a local file)
    redirects: list[tuple[int, str, str]] = field(default_factory=list)
    gzipped: bool = False


def fetch_url(url: str, *, timeout: float, limit: int, error_class: type[Exception]) -> FetchedFeed:
    """A small document (a feed, a transcript, a chapters file): its bytes, unpacked if gzipped."""
    with _open(url, timeout, error_class) as response:
        buffer = io.BytesIO()
        _copy(response, buffer, url=url, limit=limit, timeout=timeout, error_class=error_class)
        raw = buffer.getvalue()
        data = gunzipped(raw, limit=limit, what=url, error_class=error_class)
        return FetchedFeed(data, response.final_url, list(response.redirects), gzipped=data is not raw)


def fetch_feed_document(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> FetchedFeed:
    """The feed from an http(s) URL (with the redirects followed) or a local file."""
    limit = settings.PODCASTCME_IMPORT_MAX_FEED_BYTES
    if "://" in source:
        return fetch_url(source, timeout=timeout, limit=limit, error_class=FeedImportError)
    path = Path(source)
    if not path.is_file():
        raise FeedImportError(
            _("No such file: %(path)s (give a feed URL or a local file).") % {"path": source}
        )
    if path.stat().st_size > limit:
        raise FeedImportError(_("%(path)s is too large to be a podcast feed.") % {"path": source})
    raw = path.read_bytes()
    data = gunzipped(raw, limit=limit, what=source, error_class=FeedImportError)
    return FetchedFeed(data, gzipped=data is not raw)


def fetch_feed(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The feed's bytes, from an http(s) URL or a local file."""
    return fetch_feed_document(source, timeout=timeout).data
