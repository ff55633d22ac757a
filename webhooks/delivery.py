"""Sending one webhook request: a POST to an endpoint on a public address, within a timeout, no
redirect followed, at most a short excerpt of the answer read.

The URL comes from a customer, and the request is made from inside our network, so it must not
become a way into it (SSRF). The request is the site's one pinned request
(``episodes.pinned_http.PinnedRequest``): the host is resolved once, every address it gives is
checked (``refused_kind``: loopback, private, link-local, ...), and the connection goes to the very
address checked (no second DNS answer between check and connect), with TLS naming the URL's host.
``PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK`` lets tests reach their receivers on 127.0.0.1.
"""

import ipaddress
import socket  # noqa: F401  # tests count look-ups through delivery.socket.getaddrinfo
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from episodes import pinned_http

from .url_ports import url_port_problem

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


def _refusal(error: pinned_http.PinnedHTTPError, timeout: float) -> DeliveryError:
    """The pinned request's refusal or failure in the words of a delivery's last_error."""
    if isinstance(error, pinned_http.BadURL):
        if error.reason == "invalid":
            return DeliveryError("not a valid URL")
        return DeliveryError("not an http(s) URL with a host")
    if isinstance(error, pinned_http.UnknownHost):
        return DeliveryError(f"unknown host {error.host}")
    if isinstance(error, pinned_http.AddressRefused):
        return DeliveryError(
            f"refused: {error.host} is {error.address}, a {error.kind} address (only public addresses)"
        )
    if isinstance(error, pinned_http.DeadlineExceeded):
        if error.resolving:
            return DeliveryError(f"no address for the host within {error.seconds:g} s (timed out)")
        return DeliveryError(f"no complete answer within {error.seconds:g} s (timed out)")
    if isinstance(error, pinned_http.ConnectionFailed):
        if isinstance(error.error, TimeoutError):
            return DeliveryError(f"no answer within {timeout:g} s (timed out)")
        if isinstance(error.error, ssl.SSLError):
            return DeliveryError(f"TLS failed: {error.error}"[:200])
        return DeliveryError(f"{type(error.error).__name__}: {error.error}"[:200])
    return DeliveryError(str(error)[:200])


def vetted_addresses(url: str) -> list[tuple[int, tuple]]:
    """The addresses ``url``'s host resolves to, each checked; DeliveryError if any is refused."""
    try:
        return pinned_http.vetted_addresses(url, allow_loopback=settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK)
    except pinned_http.PinnedHTTPError as error:
        raise _refusal(error, 0) from None


def _is_address(url: str) -> bool:
    try:
        ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return False
    return True


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``body`` to ``url``; the answer's status and the start of its body. A 3xx is an answer
    like any other (not followed: the receiver must give its final URL).

    ``timeout`` bounds each connect and read; a receiver trickling its answer a byte at a time
    would pass every one of them. The whole attempt (the look-up included) ends by
    ``TOTAL_TIMEOUTS`` timeouts (within the lease of tasks.lease_seconds, so the sweep never starts
    a second attempt while this one runs).

    A URL whose port the rule refuses (``url_ports``; an endpoint saved before the rule, or written
    around the form) is refused here, before any look-up or connection (a host given as an address
    the guard refuses gets that refusal first: the more telling message)."""
    problem = url_port_problem(url)
    if problem:
        if _is_address(url):  # a refused address says so first (a literal needs no look-up)
            vetted_addresses(url)
        raise DeliveryError(problem)
    pinned = pinned_http.PinnedRequest(
        "POST",
        url,
        timeout=timeout,
        deadline=timeout * TOTAL_TIMEOUTS,
        allow_loopback=settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK,
        headers={**headers, "User-Agent": USER_AGENT, "Content-Type": "application/json"},
        body=body,
    )
    try:
        with pinned:
            response = pinned.open()
            excerpt = pinned.read(EXCERPT_CHARS * 4) if response.status != 204 else b""
            return Answer(response.status, excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS])
    except pinned_http.PinnedHTTPError as error:
        raise _refusal(error, timeout) from None
