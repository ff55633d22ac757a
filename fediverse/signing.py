"""Signing an HTTP request the way Mastodon expects (draft-cavage HTTP Signatures, rsa-sha256).

Kept apart from ``httpsig`` (which verifies, and so fetches actors through ``remote``) so that
``remote`` and ``delivery`` can sign without an import cycle; ``httpsig.sign_headers`` is this one.
"""

import base64
import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.utils import timezone


def digest_header(body: bytes) -> str:
    """``Digest: SHA-256=<base64>`` (RFC 3230) of a request body."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(now: datetime | None = None) -> str:
    """An RFC 7231 date (``Sun, 29 Nov 2026 22:03:17 GMT``)."""
    moment = (now or timezone.now()).astimezone(UTC)
    return format_datetime(moment, usegmt=True)


def request_target(method: str, url: str) -> str:
    """The ``(request-target)`` pseudo-header: the lower-case method, the path and any query."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return f"{method.lower()} {target}"


def ascii_netloc(url: str) -> str:
    """The Host header of a request to ``url``: the host in IDNA (``bücher.example`` ->
    ``xn--bcher-kva.example``, as http.client sends it), with the port when the URL names one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{host}:{parts.port}" if parts.port else host


def signing_string(lines: list[tuple[str, str]]) -> bytes:
    return "\n".join(f"{name}: {value}" for name, value in lines).encode("utf-8")


@lru_cache(maxsize=64)
def _private_key(private_key_pem: str) -> rsa.RSAPrivateKey:
    """The loaded key, once per process and key: loading checks the RSA key's consistency, which
    costs about 0.15 s of CPU, and a publish signs one request per follower server."""
    key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("Only RSA keys sign ActivityPub requests here.")
    return key


def sign_headers(
    *,
    method: str,
    url: str,
    body: bytes | None,
    key_id: str,
    private_key_pem: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers that sign a request to ``url``: Host, Date, Digest (when there is a body) and
    Signature over "(request-target) host date [digest]" with the RSA key (rsa-sha256)."""
    host = ascii_netloc(url)
    headers = {"Host": host, "Date": http_date(now)}
    lines = [("(request-target)", request_target(method, url)), ("host", host), ("date", headers["Date"])]
    if body is not None:
        headers["Digest"] = digest_header(body)
        lines.append(("digest", headers["Digest"]))
    signature = _private_key(private_key_pem).sign(signing_string(lines), padding.PKCS1v15(), hashes.SHA256())
    names = " ".join(name for name, _value in lines)
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{names}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return headers
