"""HTTP Signatures (draft-cavage-http-signatures, as Mastodon speaks them) for the inbox.

Signing is ``signing.sign_headers`` (re-exported here): rsa-sha256 over "(request-target) host date
digest" on a POST and "(request-target) host date" on a GET, with ``Digest: SHA-256=<base64>``.

``verify_request`` checks a signed request the other way round: the Date within five minutes of now
(an old request replayed is refused), the Digest against the body, the signed headers present, and
the signature against the public key of the actor that the keyId names (fetched, or taken from our
records; fetched again once if the key has changed, unless it was fetched less than a minute
ago). Every refusal is a ``SignatureError`` whose message is the 401's body.
"""

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.http import HttpRequest
from django.utils import timezone

from .models import RemoteActor
from .remote import RemoteError, fetch_key_owner
from .signing import digest_header, sign_headers, signing_string

__all__ = ["SignatureError", "parse_signature", "sign_headers", "verify_request", "verify_signature"]

MAX_SKEW = timedelta(minutes=5)
KEY_REFETCH_AFTER = timedelta(minutes=1)  # a key that fails is fetched again only if older than this
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_ALGORITHMS = {"rsa-sha256", "hs2019"}  # hs2019: "ask the key", and Mastodon's keys are RSA-SHA256


class SignatureError(Exception):
    """The request's signature is missing or does not hold (the message says why)."""


def parse_signature(header: str) -> dict[str, str]:
    """The ``Signature`` header's parameters (keyId, algorithm, headers, signature)."""
    params: dict[str, str] = {}
    position = 0
    header = header.strip()
    while position < len(header):
        match = _PARAM.match(header, position)
        if match is None:
            raise SignatureError("The Signature header is malformed.")
        params[match.group(1)] = match.group(2)
        position = match.end()
    for required in ("keyId", "signature"):
        if not params.get(required):
            raise SignatureError(f"The Signature header has no {required}.")
    return params


def _request_date(value: str | None) -> datetime:
    if not value:
        raise SignatureError("The request has no Date header.")
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("The Date header is not a date.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def verify_signature(*, public_key_pem: str, message: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is the RSA-SHA256 (PKCS#1 v1.5) signature of ``message``."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
        signature = base64.b64decode(signature_b64, validate=True)
    except (ValueError, UnicodeError, binascii.Error):
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _header(request: HttpRequest, name: str) -> str:
    value = request.headers.get(name)
    if value is None:
        raise SignatureError(f"The signed header {name} is missing.")
    return value


def _message(request: HttpRequest, names: list[str]) -> bytes:
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append((name, f"{(request.method or '').lower()} {request.get_full_path()}"))
        elif name.startswith("("):
            raise SignatureError(f"The signed pseudo-header {name} is not supported.")
        elif name == "host":
            # The Host the client sent (nginx must pass it on: docs/fediverse.md).
            lines.append((name, request.headers.get("Host") or request.get_host()))
        else:
            lines.append((name, _header(request, name)))
    return signing_string(lines)


def verify_request(request: HttpRequest, *, now: datetime | None = None) -> RemoteActor:
    """The remote actor whose key signed ``request``; SignatureError when it is unsigned, signed
    wrongly, its Date is more than five minutes from now, or its body does not match its Digest."""
    header = request.headers.get("Signature")
    if not header:
        raise SignatureError("The request is not signed (no Signature header).")
    params = parse_signature(header)
    algorithm = params.get("algorithm", "rsa-sha256").lower()
    if algorithm not in _ALGORITHMS:
        raise SignatureError(f"The signature algorithm {algorithm} is not supported (rsa-sha256 is).")
    names = params.get("headers", "date").lower().split()
    needed = ["(request-target)", "host", "date"] + (["digest"] if request.method == "POST" else [])
    missing = [name for name in needed if name not in names]
    if missing:
        raise SignatureError("The signature does not cover " + ", ".join(missing) + ".")
    moment = _request_date(request.headers.get("Date"))
    if abs((now or timezone.now()) - moment) > MAX_SKEW:
        raise SignatureError("The Date header is more than five minutes from now (a replay?).")
    if request.method == "POST":
        digests = [part.strip() for part in _header(request, "Digest").split(",")]
        sha256 = [d for d in digests if d[:8].lower() == "sha-256="]
        if not sha256:
            raise SignatureError("The Digest header has no SHA-256 value.")
        if ("SHA-256=" + sha256[0][8:]) != digest_header(request.body):
            raise SignatureError("The body does not match its Digest.")
    message = _message(request, names)
    try:
        actor = fetch_key_owner(params["keyId"])
    except RemoteError as error:
        raise SignatureError(f"The signing key could not be fetched: {error}") from None
    if actor.public_key_id and actor.public_key_id != params["keyId"]:
        raise SignatureError(f"{params['keyId']} is not the key of {actor.url}.")
    if verify_signature(
        public_key_pem=actor.public_key_pem, message=message, signature_b64=params["signature"]
    ):
        return actor
    if timezone.now() - actor.fetched_at < KEY_REFETCH_AFTER:
        # Fetched moments ago: a key that does not verify now is not a rotated one. (Else every
        # forged request naming a server's key would make us fetch from that server again.)
        raise SignatureError("The signature does not match the request.")
    try:
        # The key may have changed since we fetched it: fetch once more before refusing.
        actor = fetch_key_owner(params["keyId"], refresh=True)
    except RemoteError as error:
        raise SignatureError(f"The signing key could not be fetched: {error}") from None
    if verify_signature(
        public_key_pem=actor.public_key_pem, message=message, signature_b64=params["signature"]
    ):
        return actor
    raise SignatureError("The signature does not match the request.")
