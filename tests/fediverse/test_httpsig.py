"""HTTP Signatures both ways: ours verified by ourselves and by bovine (an independent
implementation), bovine's verified by ours; and every way a signature can fail."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier
from django.test import RequestFactory
from django.utils import timezone
from multidict import CIMultiDict, CIMultiDictProxy

from fediverse.httpsig import SignatureError, parse_signature, sign_headers, verify_request
from fediverse.keys import actor_key, actor_url, key_id
from fediverse.models import RemoteActor
from fediverse.signing import digest_header

pytestmark = pytest.mark.django_db

INBOX = "https://social.example/users/alice/inbox"


def _bovine_verifies(
    method: str, url: str, headers: dict[str, str], body: bytes, *, key_pem: str, owner: str
):
    """bovine's draft-cavage checker (Date, Digest, signature) with the key we publish."""

    async def retrieve(key: str):
        return CryptographicIdentifier.from_pem(key_pem, owner)

    async def read_body():
        return body

    checker = build_validate_http_signature_raw(retrieve)
    return asyncio.run(checker(method, url, CIMultiDictProxy(CIMultiDict(headers)), read_body))


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b""):
    factory = RequestFactory()
    if method == "POST":
        return factory.post(path, data=body, content_type="application/activity+json", headers=headers)
    return factory.get(path, headers=headers)


def test_sign_headers_gives_host_date_digest_and_a_mastodon_style_signature(show):
    key = actor_key(show)
    body = b'{"type":"Follow"}'
    now = datetime(2026, 11, 29, 22, 3, 17, tzinfo=UTC)
    headers = sign_headers(
        method="POST", url=INBOX, body=body, key_id=key_id(show), private_key_pem=key.private_key_pem, now=now
    )
    assert headers["Host"] == "social.example"
    assert headers["Date"] == "Sun, 29 Nov 2026 22:03:17 GMT"
    assert headers["Digest"] == digest_header(body) and headers["Digest"].startswith("SHA-256=")
    params = parse_signature(headers["Signature"])
    assert params["keyId"] == actor_url(show) + "#main-key"
    assert params["algorithm"] == "rsa-sha256"
    assert params["headers"] == "(request-target) host date digest"
    get = sign_headers(
        method="GET", url=INBOX, body=None, key_id=key_id(show), private_key_pem=key.private_key_pem
    )
    assert "Digest" not in get
    assert parse_signature(get["Signature"])["headers"] == "(request-target) host date"


def test_bovine_verifies_our_signed_post_and_get(show):
    key = actor_key(show)
    body = json.dumps({"type": "Create", "actor": actor_url(show)}).encode()
    headers = sign_headers(
        method="POST", url=INBOX, body=body, key_id=key_id(show), private_key_pem=key.private_key_pem
    )
    owner = _bovine_verifies("POST", INBOX, headers, body, key_pem=key.public_key_pem, owner=actor_url(show))
    assert owner == actor_url(show)
    url = "https://social.example/users/alice"
    headers = sign_headers(
        method="GET", url=url, body=None, key_id=key_id(show), private_key_pem=key.private_key_pem
    )
    assert _bovine_verifies(
        "GET", url, headers, b"", key_pem=key.public_key_pem, owner=actor_url(show)
    ) == actor_url(show)


def test_bovine_refuses_our_signature_when_the_body_changed(show):
    key = actor_key(show)
    headers = sign_headers(
        method="POST", url=INBOX, body=b"{}", key_id=key_id(show), private_key_pem=key.private_key_pem
    )
    owner = _bovine_verifies(
        "POST", INBOX, headers, b'{"x":1}', key_pem=key.public_key_pem, owner=actor_url(show)
    )
    assert owner is None  # the checker is real: it does refuse


def test_we_verify_a_request_bovine_signed(remote_actor):
    body = b'{"type":"Like"}'
    path = "/ap/inbox"
    request = _request("POST", path, remote_actor.signed_headers(path, body), body)
    assert verify_request(request).url == remote_actor.url


def test_round_trip_our_signature_verified_by_our_verifier(show, remote_actor):
    # Our signer with alice's key (as if alice used our code), checked by our verifier.
    body = b'{"type":"Like"}'
    url = "http://testserver/ap/inbox"
    headers = sign_headers(
        method="POST",
        url=url,
        body=body,
        key_id=remote_actor.key_id,
        private_key_pem=remote_actor.private_key_pem,
    )
    request = _request("POST", "/ap/inbox", {k: v for k, v in headers.items() if k != "Host"}, body)
    assert verify_request(request).url == remote_actor.url


def _post_headers(remote_actor, body=b"{}", **overrides):
    return remote_actor.signed_headers("/ap/inbox", body, **overrides)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop("Signature"), "not signed"),
        (lambda h: h.update(Signature="garbage"), "malformed"),
        (lambda h: h.update(Signature=h["Signature"].replace("rsa-sha256", "hmac-sha256")), "not supported"),
        (lambda h: h.pop("Date"), "no Date header"),
        (lambda h: h.update(Date="yesterday"), "not a date"),
        (lambda h: h.update(Digest="SHA-256=AAAA"), "does not match its Digest"),
        (lambda h: h.update(Digest="MD5=AAAA"), "no SHA-256"),
        (lambda h: h.update(Digest="SHA-256"), "no SHA-256"),
        (lambda h: h.update(Signature=h["Signature"].replace("(request-target) ", "")), "cover \\(request"),
        (lambda h: h.update(Signature=h["Signature"].replace(" host", "")), "does not cover host"),
        (lambda h: h.update(Signature=h["Signature"].replace(" digest", "")), "does not cover digest"),
        (lambda h: h.update(Signature=h["Signature"].replace(" date", "")), "does not cover date"),
        (
            lambda h: h.update(Signature=h["Signature"].replace('signature="', 'signature="AB')),
            "does not match",
        ),
    ],
)
def test_each_broken_signature_is_refused_with_its_reason(remote_actor, monkeypatch, change, message):
    monkeypatch.setattr("fediverse.remote.get_json", lambda url, **kw: (remote_actor.document(), url))
    headers = _post_headers(remote_actor)
    change(headers)
    request = _request("POST", "/ap/inbox", headers, b"{}")
    with pytest.raises(SignatureError, match=message):
        verify_request(request)


def test_the_date_window_is_five_minutes_both_ways(remote_actor):
    now = datetime.now(tz=UTC)
    for minutes, ok in ((4, True), (-4, True), (6, False), (-6, False)):
        headers = _post_headers(remote_actor, date=now + timedelta(minutes=minutes))
        request = _request("POST", "/ap/inbox", headers, b"{}")
        if ok:
            assert verify_request(request).url == remote_actor.url
        else:
            with pytest.raises(SignatureError, match="five minutes"):
                verify_request(request)


def test_a_key_id_that_is_not_the_actors_key_is_refused(remote_actor, monkeypatch):
    monkeypatch.setattr("fediverse.remote.get_json", lambda url, **kw: (remote_actor.document(), url))
    headers = _post_headers(remote_actor, key_id=remote_actor.url + "#other-key")
    with pytest.raises(SignatureError, match="is not the key of"):
        verify_request(_request("POST", "/ap/inbox", headers, b"{}"))


def test_a_changed_key_is_fetched_again_before_refusing(remote_actor, monkeypatch):
    RemoteActor.objects.filter(pk=remote_actor.row.pk).update(
        fetched_at=timezone.now() - timedelta(minutes=10)
    )
    new_public, new_private = generate_rsa_public_private_key()
    document = remote_actor.document()
    document["publicKey"]["publicKeyPem"] = new_public
    monkeypatch.setattr("fediverse.remote.get_json", lambda url, **kw: (document, url))
    headers = _post_headers(remote_actor, private_key_pem=new_private)
    assert verify_request(_request("POST", "/ap/inbox", headers, b"{}")).public_key_pem == new_public


def test_a_key_fetched_moments_ago_is_not_fetched_again_for_a_bad_signature(remote_actor, monkeypatch):
    # Each forged request naming social.example's key made us fetch its actor again: now only a
    # key older than a minute is (a rotation), so forgeries cost that server nothing.
    fetched = []
    monkeypatch.setattr(
        "fediverse.remote.get_json", lambda url, **kw: fetched.append(url) or (remote_actor.document(), url)
    )
    _other_public, other_private = generate_rsa_public_private_key()
    for _ in range(3):
        headers = _post_headers(remote_actor, private_key_pem=other_private)
        with pytest.raises(SignatureError, match="does not match"):
            verify_request(_request("POST", "/ap/inbox", headers, b"{}"))
    assert fetched == []
