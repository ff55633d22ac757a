"""Sending one webhook request: a POST to an endpoint on a public address, within a timeout, no
redirect followed, at most a short excerpt of the answer read.

The URL comes from a customer, and the request is made from inside our network, so it must not
become a way into it (SSRF): the host is resolved here, every address it gives is checked with the
importer's rule (``episodes.importer.fetch.refused_kind``: loopback, private, link-local, ...), and
the connection goes to the very address checked (no second DNS answer between check and connect).
``PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK`` lets tests reach their receivers on 127.0.0.1.
"""

import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from episodes.importer.fetch import refused_kind

EXCERPT_CHARS = 500
USER_AGENT = "podcastcme-webhooks/1"
TOTAL_TIMEOUTS = 3  # an attempt ends after this many timeouts in all, however the bytes come


class DeliveryError(Exception):
    """The attempt failed before any answer (refused address, no connection, timeout)."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def vetted_addresses(url: str) -> list[tuple[int, tuple]]:
    """The addresses ``url``'s host resolves to, each checked; DeliveryError if any is refused."""
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise DeliveryError("not a valid URL") from None
    if parts.scheme not in {"http", "https"} or not host:
        raise DeliveryError("not an http(s) URL with a host")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DeliveryError(f"unknown host {host}") from None
    allow_loopback = settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK
    vetted: list[tuple[int, tuple]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        kind = refused_kind(address)
        plain_loopback = kind == "loopback" and ipaddress.ip_address(address).is_loopback
        if kind is not None and not (plain_loopback and allow_loopback):
            # One bad address refuses the host: a name may answer differently on connect.
            raise DeliveryError(f"refused: {host} is {address}, a {kind} address (only public addresses)")
        if (family, sockaddr) not in vetted:
            vetted.append((family, sockaddr))
    if not vetted:
        raise DeliveryError(f"unknown host {host}")
    return vetted


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; the answer's status and the start of its body. A 3xx is an answer
    like any other (not followed: the receiver must give its final URL)."""
    vetted = vetted_addresses(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)

    def pinned(_address, _timeout, _source=None) -> socket.socket:
        # Connect to an address checked above; the Host header and TLS name stay the URL's.
        last: OSError | None = None
        for family, sockaddr in vetted:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last = error
        assert last is not None
        raise last

    # http.client's connect() calls this private hook; typeshed does not declare it.
    connection._create_connection = pinned  # type: ignore[attr-defined]  # private hook, not in typeshed
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # ``timeout`` bounds each connect and read; a receiver trickling its answer a byte at a time
    # would pass every one of them. The whole attempt ends by this deadline (within the lease of
    # tasks.lease_seconds, so the sweep never starts a second attempt while this one runs).
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        if connection.sock is not None:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    deadline = threading.Timer(timeout * TOTAL_TIMEOUTS, cut)
    deadline.daemon = True
    deadline.start()
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        excerpt = response.read1(EXCERPT_CHARS * 4) if response.status != 204 else b""
        if cut_off.is_set():  # what was read ended where the deadline cut it, not where the answer did
            raise http.client.IncompleteRead(excerpt)
        return Answer(response.status, excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS])
    except TimeoutError:
        raise DeliveryError(f"no answer within {timeout:g} s (timed out)") from None
    except (OSError, http.client.HTTPException) as error:
        if cut_off.is_set():
            total = timeout * TOTAL_TIMEOUTS
            raise DeliveryError(f"no complete answer within {total:g} s (timed out)") from None
        if isinstance(error, ssl.SSLError):
            raise DeliveryError(f"TLS failed: {error}"[:200]) from None
        raise DeliveryError(f"{type(error).__name__}: {error}"[:200]) from None
    finally:
        deadline.cancel()
        connection.close()
