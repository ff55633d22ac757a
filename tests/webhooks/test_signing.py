"""The signature a receiver checks, computed here without the app's signing code (Standard Webhooks)."""

import base64
import hashlib
import hmac

from webhooks.signing import SECRET_PREFIX, new_secret, signature


def _expected(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret[len("whsec_") :])
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def test_a_signature_is_the_base64_hmac_sha256_of_id_timestamp_and_body():
    secret = new_secret()
    body = b'{"id":"x","type":"claim.created"}'
    assert signature(secret=secret, message_id="msg_1", timestamp=1700000000, body=body) == _expected(
        secret, "msg_1", 1700000000, body
    )


def test_the_signature_changes_with_the_body_the_id_or_the_timestamp():
    secret = new_secret()
    base = signature(secret=secret, message_id="a", timestamp=1, body=b"{}")
    assert signature(secret=secret, message_id="b", timestamp=1, body=b"{}") != base
    assert signature(secret=secret, message_id="a", timestamp=2, body=b"{}") != base
    assert signature(secret=secret, message_id="a", timestamp=1, body=b"{ }") != base


def test_secrets_are_new_each_time_and_in_the_standard_form():
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(first.removeprefix(SECRET_PREFIX))) == 32
