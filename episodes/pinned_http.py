"""One outgoing HTTP request that only reaches the public internet (SSRF), used by every part of the
site that fetches or posts a third party's URL: the importer (feeds, artwork, audio), webhooks,
ActivityPub fetches and deliveries, and the single sign-on set-up's discovery fetch.

A request here:

- resolves the URL's host once (in a thread, bounded by the deadline: ``getaddrinfo`` has no
  timeout of its own) and refuses the host when ANY of its addresses is not public
  (``refused_kind``: loopback, private, link-local, multicast, reserved, unspecified, and those
  hidden in IPv6 forms: IPv4-mapped, 6to4, NAT64);
- connects to the very addresses it checked, in the order the resolver gave them (no second DNS
  answer between check and connect: DNS rebinding cannot move the connection);
- over https, names the URL's host for SNI and checks the certificate against it (the Host header
  too), so pinning the address changes nothing a server sees;
- bounds each connect and read by ``timeout`` and the whole request (resolve, connect, headers,
  body) by a total deadline: a watchdog shuts the socket when it passes, so a server dripping a
  byte at a time is cut off;
- follows no redirect (``request(max_redirects=...)`` follows that many, each hop checked anew);
- reads at most ``limit`` bytes of the body.

``allow_loopback`` is the tests' opt-in (each caller passes its own setting, such as
``PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK``): it lets plain 127.0.0.0/8 and ::1 through, never a loopback
address hidden inside an IPv6 form, never a private or link-local one.

Errors are typed (``PinnedHTTPError`` and its subclasses, carrying the facts); each caller turns
them into its own error class and words.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# IPv6 forms that carry an IPv4 address inside: the IPv4 address decides.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_IPV6_LOOPBACK = ipaddress.IPv6Address("::1")

Address = tuple[int, tuple[Any, ...]]  # (socket family, sockaddr) as getaddrinfo gives them


def refused_kind(address: str) -> str | None:
    """Why an address is not reached ("loopback", "private", ...), or None for a public one."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return refused_kind(str(embedded))
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local  # fec0::/10, deprecated
    if ip.is_private or site_local or not ip.is_global:  # also documentation and carrier-grade NAT
        return "private"
    return None


def kind_label(kind: str) -> str:
    """A refused kind in words, for a person ("a loopback address")."""
    return {
        "loopback": _("a loopback address"),
        "unspecified": _("an unspecified address"),
        "link-local": _("a link-local address"),
        "multicast": _("a multicast address"),
        "reserved": _("a reserved address"),
        "private": _("a private address"),
    }[kind]


def allowed(address: str, *, allow_loopback: bool) -> str | None:
    """``refused_kind`` with the tests' opt-in: plain loopback passes when ``allow_loopback``."""
    address = address.split("%", 1)[0]
    kind = refused_kind(address)
    if kind == "loopback" and allow_loopback and _plain_loopback(address):
        return None
    return kind


def _plain_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1 as such, not an IPv4-mapped, 6to4 or NAT64 form of them."""
    ip = ipaddress.ip_address(address)
    return ip in _IPV4_LOOPBACK if ip.version == 4 else ip == _IPV6_LOOPBACK


# --- Errors --------------------------------------------------------------------------------------


class PinnedHTTPError(Exception):
    """A request that could not be made or completed; ``url`` is the one tried."""

    def __init__(self, url: str, detail: str = ""):
        super().__init__(detail or url)
        self.url = url


class BadURL(PinnedHTTPError):
    """Not an http(s) URL with a host. ``reason``: "scheme", "invalid" or "no_host"."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, f"{reason}: {url}")
        self.reason = reason


class UnknownHost(PinnedHTTPError):
    def __init__(self, url: str, host: str):
        super().__init__(url, f"unknown host {host}")
        self.host = host


class AddressRefused(PinnedHTTPError):
    """The host resolved to an address that is not public (``kind`` says which sort)."""

    def __init__(self, url: str, host: str, address: str, kind: str):
        super().__init__(url, f"{host} is {address}, a {kind} address")
        self.host, self.address, self.kind = host, address, kind


class DeadlineExceeded(PinnedHTTPError):
    """The total deadline passed. ``resolving``: it passed while the name was being resolved."""

    def __init__(self, url: str, seconds: float, *, resolving: bool = False):
        super().__init__(url, f"not done within {seconds:g} seconds")
        self.seconds, self.resolving = seconds, resolving


class TooLarge(PinnedHTTPError):
    def __init__(self, url: str, limit: int):
        super().__init__(url, f"larger than {limit} bytes")
        self.limit = limit


class ConnectionFailed(PinnedHTTPError):
    """Connecting, TLS, sending or reading failed; ``error`` is the OSError/HTTPException/SSLError."""

    def __init__(self, url: str, error: BaseException):
        super().__init__(url, f"{type(error).__name__}: {error}")
        self.error = error

    @property
    def timed_out(self) -> bool:
        return isinstance(self.error, TimeoutError | socket.timeout) or "timed out" in str(self.error)


# --- The URL and its addresses -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str  # "http" or "https"
    host: str  # as the URL names it (lower case)
    ascii_host: str  # IDNA: what the Host header, SNI and the certificate check use
    port: int
    path: str  # path and query, as sent on the request line

    @property
    def https(self) -> bool:
        return self.scheme == "https"


def parse(url: str) -> Target:
    """The parts of an http(s) URL a request needs; BadURL otherwise."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise BadURL(url, "invalid") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise BadURL(url, "scheme")
    if not host:
        raise BadURL(url, "no_host")
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise BadURL(url, "invalid") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if port == 0:  # not "the default port": a URL naming port 0 is refused, never quietly mended
        raise BadURL(url, "invalid")
    return Target(scheme, host, ascii_host, port or (443 if scheme == "https" else 80), path)


def vetted_addresses(
    url: str, *, allow_loopback: bool, timeout: float | None = None, target: Target | None = None
) -> list[Address]:
    """Resolve ``url``'s host once and check every address; the (family, sockaddr) pairs to dial.

    One refused address refuses the host (a name may answer differently on connect). The look-up
    runs in a thread so that a silent name server costs ``timeout`` at most (DeadlineExceeded with
    ``resolving``); ``timeout=None`` waits for the resolver."""
    target = target or parse(url)
    infos: list[tuple[Any, ...]] = []
    failed: list[BaseException] = []

    def resolve() -> None:
        try:
            infos.extend(socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as error:
            failed.append(error)

    if timeout is None:
        resolve()
    else:
        resolver = threading.Thread(target=resolve, daemon=True)
        resolver.start()
        resolver.join(max(timeout, 0.0))
        if resolver.is_alive():
            raise DeadlineExceeded(url, timeout, resolving=True)
    if failed:
        raise UnknownHost(url, target.host)
    vetted: list[Address] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        kind = allowed(address, allow_loopback=allow_loopback)
        if kind is not None:
            raise AddressRefused(url, target.host, address, kind)
        if (family, sockaddr) not in vetted:
            vetted.append((family, sockaddr))
    if not vetted:
        raise UnknownHost(url, target.host)
    return vetted


# --- One request ---------------------------------------------------------------------------------


class PinnedRequest:
    """One request (no redirect followed) to a checked address, within ``timeout`` per connect/read
    and ``deadline`` seconds in all (or until the monotonic instant ``ends_at``, which lets a caller
    share one deadline between redirect hops).

    ``open()`` resolves, checks, connects, sends and reads the status and headers; ``read(size)``
    then gives the body chunk by chunk (``read_body(limit)`` all of it, up to ``limit`` bytes).
    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        method: str,
        url: str,
        *,
        timeout: float,
        allow_loopback: bool,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        deadline: float | None = None,
        ends_at: float | None = None,
    ):
        if ends_at is None:
            ends_at = time.monotonic() + (timeout * 2 if deadline is None else deadline)
        self.method, self.url, self.timeout = method, url, timeout
        self.allow_loopback = allow_loopback
        self.headers = headers or {}
        self.body = body
        self.ends_at = ends_at
        self.deadline = deadline if deadline is not None else max(ends_at - time.monotonic(), 0.0)
        self.started = time.monotonic()
        self.expired = False
        self.address: Address | None = None  # the address the connection went to
        self.response: http.client.HTTPResponse | None = None
        self._lock = threading.Lock()
        self._guards: list[socket.socket] = []  # duplicates of the sockets opened, to shut them down
        self._connection: http.client.HTTPConnection | None = None
        self._watchdog: threading.Timer | None = None

    # The deadline.
    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for guard in self._guards:
                try:
                    guard.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def remaining(self) -> float:
        """Seconds left; DeadlineExceeded when none are."""
        remaining = self.ends_at - time.monotonic()
        if remaining <= 0 or self.expired:
            raise DeadlineExceeded(self.url, self.deadline)
        return remaining

    # Connecting.
    def _connect_to(self, family: int, sockaddr: tuple[Any, ...]) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        with self._lock:
            if self.expired:
                sock.close()
                raise DeadlineExceeded(self.url, self.deadline)
            self._guards.append(sock.dup())
        try:
            sock.settimeout(min(self.timeout, self.remaining()))
            sock.connect(sockaddr)
            sock.settimeout(self.timeout)  # each read; the watchdog keeps the total
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self.address = (family, sockaddr)
        return sock

    def open(self) -> http.client.HTTPResponse:
        target = parse(self.url)
        self._watchdog = threading.Timer(max(self.ends_at - time.monotonic(), 0.0), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()
        try:
            vetted = vetted_addresses(
                self.url, allow_loopback=self.allow_loopback, timeout=self.remaining(), target=target
            )
        except DeadlineExceeded:
            self.close()
            raise DeadlineExceeded(self.url, self.deadline, resolving=True) from None
        except BaseException:
            self.close()
            raise
        connection: http.client.HTTPConnection
        if target.https:
            # SNI, the certificate check and the Host header name the URL's host, never the address.
            connection = http.client.HTTPSConnection(
                target.ascii_host, target.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(target.ascii_host, target.port, timeout=self.timeout)

        def pinned(_address, _timeout, _source=None) -> socket.socket:
            # Only the checked addresses, in the resolver's order; the name is never looked up again.
            last: OSError | None = None
            for family, sockaddr in vetted:
                try:
                    return self._connect_to(family, sockaddr)
                except OSError as error:
                    last = error
            assert last is not None
            raise last

        # http.client's connect() calls this private hook; typeshed does not declare it.
        connection._create_connection = pinned  # type: ignore[attr-defined]  # private hook, not in typeshed
        self._connection = connection
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        try:
            connection.request(self.method, target.path, body=self.body, headers=headers)
            self.response = connection.getresponse()
        except DeadlineExceeded:
            self.close()
            raise
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.close()
            if self.expired:
                raise DeadlineExceeded(self.url, self.deadline) from None
            raise ConnectionFailed(self.url, error) from None
        except BaseException:
            self.close()
            raise
        return self.response

    # Reading.
    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of the body (b"" at its end)."""
        assert self.response is not None
        self.remaining()
        try:
            chunk = self.response.read1(size)
        except (OSError, http.client.HTTPException, ValueError) as error:
            if self.expired:
                raise DeadlineExceeded(self.url, self.deadline) from None
            raise ConnectionFailed(self.url, error) from None
        if self.expired:  # what was read ended where the watchdog cut it, not where the body did
            raise DeadlineExceeded(self.url, self.deadline)
        return chunk

    def read_body(self, limit: int) -> bytes:
        """The whole body; TooLarge beyond ``limit`` bytes (announced or sent)."""
        assert self.response is not None
        length = self.response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > limit:
            raise TooLarge(self.url, limit)
        chunks: list[bytes] = []
        done = 0
        while chunk := self.read(64 * 1024):
            done += len(chunk)
            if done > limit:
                raise TooLarge(self.url, limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        with self._lock:
            for guard in self._guards:
                guard.close()
            self._guards = []

    def __enter__(self) -> "PinnedRequest":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str  # the URL that answered (after any redirects followed)
    redirects: list[tuple[int, str, str]] = field(default_factory=list)  # (status, from, to)


class TooManyRedirects(PinnedHTTPError):
    def __init__(self, url: str, count: int):
        super().__init__(url, f"more than {count} redirects")
        self.count = count


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    limit: int,
    allow_loopback: bool,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    deadline: float | None = None,
    max_redirects: int = 0,
) -> Response:
    """One request with its whole body (at most ``limit`` bytes), all within ``deadline`` seconds
    (twice ``timeout`` when not given). Redirects are answers (not followed) unless
    ``max_redirects`` > 0: then that many are followed (with the same method, headers and body:
    ask for it on GETs), each hop resolved and checked anew, within the one deadline."""
    deadline = timeout * 2 if deadline is None else deadline
    ends_at = time.monotonic() + deadline
    redirects: list[tuple[int, str, str]] = []
    for _hop in range(max_redirects + 1):
        with PinnedRequest(
            method,
            url,
            timeout=timeout,
            allow_loopback=allow_loopback,
            headers=headers,
            body=body,
            deadline=deadline,
            ends_at=ends_at,
        ) as pinned:
            response = pinned.open()
            location = response.getheader("Location")
            if max_redirects and response.status in REDIRECT_STATUSES and location:
                target = urljoin(url, location.strip())
                redirects.append((response.status, url, target))
                url = target
                continue
            data = pinned.read_body(limit)
            return Response(response.status, response.headers, data, url, redirects)
    raise TooManyRedirects(url, max_redirects)
