"""Talking to other servers: one small HTTP client that only reaches public addresses, and the
remote actors we fetch with it (signed GET, as servers in "authorized fetch" mode require).

Every address comes from another server (an actor's inbox, a key id), so a request must not become
a way into our own network (SSRF): each is the site's one pinned request (``episodes.pinned_http``):
the host resolved once, every address checked (``refused_kind``: loopback, private, link-local ...
refused), and the connection made to the checked address, TLS naming the URL's host. Each request
has a short timeout and a total deadline, and reads at most ``PODCASTCME_FEDIVERSE_MAX_BYTES``, so
a slow or hostile server costs little.
"""

import http.client
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from episodes import pinned_http
from episodes.models import Show

from .blocks import ascii_domain, is_blocked
from .follows import actor_gone
from .keys import actor_key, key_id
from .models import ActorKey, RemoteActor
from .signing import sign_headers

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON}"
ACTOR_TYPES = {"Person", "Service", "Application", "Group", "Organization"}
JSON_TYPES = {"application/activity+json", "application/ld+json", "application/json"}
MAX_REDIRECTS = 3
REFRESH_AFTER = timedelta(days=1)  # a known actor is fetched again after this long


class RemoteError(Exception):
    """Another server could not be reached or answered something unusable (the message says which)."""


class RemoteRefused(RemoteError):
    """We refuse to reach that address (not http(s), or not a public internet address): trying
    again will not help."""


class RemoteGone(RemoteError):
    """The server answered 410 Gone: the actor or inbox no longer exists."""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str


def user_agent() -> str:
    return f"podcastcme (+{settings.SITE_URL}/)"


def url_domain(url: str) -> str:
    """The host of ``url`` as blocks compare it (lower case, IDNA, no trailing dot; "" when none):
    ``https://Münch.EN./x`` and ``https://xn--mnch-kva.en/x`` are one domain."""
    try:
        return ascii_domain(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def _remote_error(error: pinned_http.PinnedHTTPError, netloc: str, seconds: float) -> RemoteError:
    """The pinned request's refusal or failure in this module's words (RemoteRefused: never retry)."""
    url = error.url
    if isinstance(error, pinned_http.BadURL):
        if error.reason == "scheme":
            return RemoteRefused(f"Only http and https addresses are reached, not {url}.")
        if error.reason == "no_host":
            return RemoteRefused(f"{url} names no host.")
        return RemoteRefused(f"{url} is not a valid address.")
    if isinstance(error, pinned_http.AddressRefused):
        return RemoteRefused(
            f"Refused to reach {url}: {error.host} is {error.address}, a {error.kind} address."
        )
    if isinstance(error, pinned_http.UnknownHost):
        return RemoteError(f"Unknown host {error.host}.")
    if isinstance(error, pinned_http.TooLarge):
        return RemoteError(f"{url} answered more than {error.limit // 1024} KB.")
    if isinstance(error, pinned_http.DeadlineExceeded):
        if error.resolving:
            host = urlsplit(url).hostname or netloc
            return RemoteError(
                f"No answer for the address of {host} within {error.seconds:g} seconds (timed out)."
            )
    if isinstance(error, pinned_http.DeadlineExceeded) or (
        isinstance(error, pinned_http.ConnectionFailed) and error.timed_out
    ):
        return RemoteError(f"No answer from {netloc} within {seconds:.1f} seconds (timed out).")
    if isinstance(error, pinned_http.ConnectionFailed):
        if isinstance(error.error, ConnectionRefusedError):
            return RemoteError(f"Connection refused by {netloc}.")
        return RemoteError(f"Could not reach {netloc} ({type(error.error).__name__}: {error.error}).")
    return RemoteError(f"Could not reach {netloc} ({error}).")


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout: float | None = None,
    limit: int | None = None,
) -> Response:
    """One HTTP request to a public address (no redirects followed), its answer read up to ``limit``
    bytes, all within ``timeout`` seconds per step and twice that in all (the look-up included).
    RemoteError when the server cannot be reached, is too slow or sends too much; RemoteRefused
    when the address is not one we reach. The request is the site's one pinned request
    (``episodes.pinned_http``): resolved once, checked, connected to the checked address."""
    timeout = float(settings.PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS if timeout is None else timeout)
    limit = int(settings.PODCASTCME_FEDIVERSE_MAX_BYTES if limit is None else limit)
    sent = {"User-Agent": user_agent(), **headers}
    started = time.monotonic()
    try:
        answer = pinned_http.request(
            method,
            url,
            headers=sent,
            body=body,
            timeout=timeout,
            deadline=timeout * 2,
            limit=limit,
            allow_loopback=settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK,
        )
    except pinned_http.PinnedHTTPError as error:
        try:
            netloc = urlsplit(url).netloc
        except ValueError:
            netloc = url
        raise _remote_error(error, netloc, time.monotonic() - started) from None
    return Response(answer.status, answer.headers, answer.body, url)


def _signing_key() -> tuple[str, str] | None:
    """(key id, private key) to sign a fetch: the oldest show key (servers in authorized-fetch
    mode refuse unsigned GETs); None before any show has one."""
    key = ActorKey.objects.select_related("show").order_by("pk").first()
    if key is None:
        show = Show.objects.order_by("pk").first()
        if show is None:
            return None
        key = actor_key(show)
    return key_id(key.show), key.private_key_pem


def get_json(url: str, *, show: Show | None = None) -> tuple[dict, str]:
    """A signed GET of an ActivityPub document (following up to three redirects): the JSON object
    and the URL it came from. RemoteGone for 410, RemoteError for anything else unusable."""
    if show is not None:
        key = actor_key(show)
        signer: tuple[str, str] | None = (key_id(show), key.private_key_pem)
    else:
        signer = _signing_key()
    for _hop in range(MAX_REDIRECTS + 1):
        if is_blocked(url_domain(url)):  # a redirect into a blocked server goes no further
            raise RemoteError(f"{url_domain(url)} is blocked.")
        headers = {"Accept": ACCEPT}
        if signer is not None:
            headers.update(
                sign_headers(method="GET", url=url, body=None, key_id=signer[0], private_key_pem=signer[1])
            )
        response = request("GET", url, headers=headers)
        if response.status in {301, 302, 303, 307, 308}:
            location = response.headers.get("Location")
            if not location:
                raise RemoteError(f"{url} answered a redirect without a Location.")
            url = urljoin(url, location.strip())
            continue
        if response.status == 410:
            raise RemoteGone(f"{url} is gone (HTTP 410).")
        if not 200 <= response.status < 300:
            raise RemoteError(f"{url} answered HTTP {response.status}.")
        media_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if media_type not in JSON_TYPES:
            raise RemoteError(f"{url} answered {media_type or 'no content type'}, not ActivityPub JSON.")
        try:
            document = json.loads(response.body)
        except (UnicodeDecodeError, ValueError):
            raise RemoteError(f"{url} answered something that is not JSON.") from None
        if not isinstance(document, dict):
            raise RemoteError(f"{url} answered JSON that is not an object.")
        return document, url
    raise RemoteError(f"{url} led to more than {MAX_REDIRECTS} redirects.")


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def _http_url(value: object) -> str:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) <= 500:
        return value
    return ""


def _text(value: object, limit: int = 255) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _link(value: object) -> str:
    """An actor's ``url``: a string, a Link object, or a list of either."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("href", "")
    return _http_url(value)


def _store_actor(document: dict, url: str) -> RemoteActor:
    """Check an actor document that ``url`` (the address that answered, after any redirects) served
    and record it (its inbox, key and names). Its id must be on that server: another server's
    document could otherwise give an actor of ours a key of its own."""
    actor_id = _http_url(document.get("id"))
    if not actor_id or url_domain(actor_id) != url_domain(url):
        raise RemoteError(f"{url} is not an actor of {url_domain(url)} (its id is {document.get('id')!r}).")
    if is_blocked(url_domain(actor_id)):
        raise RemoteError(f"{url_domain(actor_id)} is blocked.")
    if document.get("type") not in ACTOR_TYPES:
        raise RemoteError(f"{actor_id} is a {document.get('type')!r}, not an actor.")
    inbox = _http_url(document.get("inbox"))
    if not inbox:
        raise RemoteError(f"{actor_id} has no inbox.")
    key = document.get("publicKey")
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict) and k.get("owner") == actor_id), None)
    if not isinstance(key, dict) or key.get("owner", actor_id) != actor_id:
        raise RemoteError(f"{actor_id} publishes no public key of its own.")
    pem = key.get("publicKeyPem")
    if not isinstance(pem, str) or "PUBLIC KEY" not in pem or len(pem) > 10_000:
        raise RemoteError(f"{actor_id} publishes no usable public key.")
    key_url = _http_url(key.get("id"))
    if key_url and url_domain(key_url) != url_domain(actor_id):
        # Signatures find their actor by key id: one on another server would claim that server's key.
        raise RemoteError(f"{actor_id} publishes a key of another server ({key_url}).")
    endpoints = document.get("endpoints")
    shared = _http_url(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else ""
    values = {
        "domain": url_domain(actor_id),
        "preferred_username": _text(document.get("preferredUsername")),
        "name": _text(document.get("name")),
        "profile_url": _link(document.get("url")),
        "inbox": inbox,
        "shared_inbox": shared,
        "public_key_id": key_url,
        "public_key_pem": pem,
        "fetched_at": timezone.now(),
    }
    actor, _created = RemoteActor.objects.update_or_create(url=actor_id, defaults=values)
    return actor


def fetch_actor(url: str, *, refresh: bool = False, show: Show | None = None) -> RemoteActor:
    """The remote actor at ``url``, from our records when fetched less than a day ago (and not
    ``refresh``), else by a signed GET (with ``show``'s key when given). Refuses blocked domains,
    non-public addresses, oversized or non-JSON answers; RemoteError says why."""
    url = _without_fragment(url.strip()) if isinstance(url, str) else ""
    if not _http_url(url):
        raise RemoteError(f"{url or '(empty)'} is not an http(s) actor address.")
    domain = url_domain(url)
    if is_blocked(domain):
        raise RemoteError(f"{domain} is blocked.")
    known = RemoteActor.objects.filter(url=url).first()
    if known is not None and not refresh and known.public_key_pem:
        if known.gone_at is not None or timezone.now() - known.fetched_at < REFRESH_AFTER:
            return known
    try:
        document, final_url = get_json(url, show=show)
    except RemoteGone:
        if known is not None:
            mark_gone(known)
        raise
    named = _without_fragment(_http_url(document.get("id")))
    same_server = url_domain(named) == url_domain(final_url)
    if named and same_server and named not in {url, _without_fragment(final_url)}:
        # The document says it is another actor of its server: taken only as that actor's own
        # address serves it (as Mastodon does), so one account's document never stands in for
        # another's. An id on another server than the one that answered is refused below.
        document, final_url = get_json(named, show=show)
        if _http_url(document.get("id")) != named:
            raise RemoteError(
                f"{named} does not serve the actor it names (its id is {document.get('id')!r})."
            )
    return _store_actor(document, final_url)


def fetch_key_owner(key_url: str, *, refresh: bool = False) -> RemoteActor:
    """The actor that owns the public key ``key_url`` (``<actor>#main-key``, or a separate Key
    document naming its owner)."""
    base = _without_fragment(key_url)
    known = (
        RemoteActor.objects.filter(public_key_id=key_url).first()
        or RemoteActor.objects.filter(url=base).first()
    )
    if known is not None and not refresh:
        return fetch_actor(known.url)
    try:
        return fetch_actor(base, refresh=refresh)
    except RemoteError:
        if "#" in key_url:
            raise
    # A key document of its own (some servers): {"id": ..., "owner": <actor>, "publicKeyPem": ...}.
    if is_blocked(url_domain(base)):
        raise RemoteError(f"{url_domain(base)} is blocked.")
    document, _url = get_json(base)
    owner = _http_url(document.get("owner"))
    if not owner or url_domain(owner) != url_domain(base):
        raise RemoteError(f"{key_url} names no owner on its own server.")
    return fetch_actor(owner, refresh=refresh)


def mark_gone(actor: RemoteActor) -> int:
    """The actor's server says it is gone: nothing more is sent to it and its follows end.
    Returns the number of follows ended."""
    return actor_gone(actor=actor)
