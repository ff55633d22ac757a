"""Fixtures for the fediverse tests (shared by this folder's modules; append yours below)."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicSecret
from bovine.utils import GMT_STRING
from django.utils import timezone

from fediverse.models import RemoteActor
from testkit.fediverse_peer import running_peer


@pytest.fixture
def fediverse_peer():
    """A second, independent ActivityPub server (bovine) on 127.0.0.1: ``testkit.fediverse_peer``."""
    with running_peer() as peer:
        yield peer


@pytest.fixture
def federating_site(settings, live_server):
    """The live server as the public site (ids and the handle's domain are its URL), allowed to
    reach actors on loopback (the peer runs there). Tests using it need
    ``pytest.mark.django_db(transaction=True)``: the live server sees only committed rows."""
    settings.SITE_URL = live_server.url
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    return live_server


# --- H1: a remote actor we already know, signing with bovine (no network needed) ----------------


class KnownRemoteActor:
    """An actor of ``social.example`` whose actor document we fetched before (its row is recorded),
    with an RSA key made by bovine. ``post`` signs an inbox request with bovine's own draft-cavage
    code (not ours), as a Mastodon server would; its keyword arguments break one thing at a time."""

    def __init__(self, domain: str = "social.example", username: str = "alice"):
        self.public_key_pem, self.private_key_pem = generate_rsa_public_private_key()
        self.url = f"https://{domain}/users/{username}"
        self.key_id = self.url + "#main-key"
        self.row = RemoteActor.objects.create(
            url=self.url,
            domain=domain,
            preferred_username=username,
            name=username.title(),
            profile_url=f"https://{domain}/@{username}",
            inbox=self.url + "/inbox",
            shared_inbox=f"https://{domain}/inbox",
            public_key_id=self.key_id,
            public_key_pem=self.public_key_pem,
            fetched_at=timezone.now(),
        )

    def document(self) -> dict:
        """Its actor document, as its server would answer a fetch."""
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.url,
            "type": "Person",
            "preferredUsername": self.row.preferred_username,
            "inbox": self.row.inbox,
            "endpoints": {"sharedInbox": self.row.shared_inbox},
            "publicKey": {"id": self.key_id, "owner": self.url, "publicKeyPem": self.public_key_pem},
        }

    def activity(self, type_: str = "Follow", object_: object = None, **extra) -> dict:
        return {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.url}/activities/{uuid.uuid4().hex}",
            "type": type_,
            "actor": self.url,
            "object": object_,
            **extra,
        }

    def signed_headers(
        self,
        path: str,
        body: bytes,
        *,
        date=None,
        private_key_pem: str | None = None,
        key_id: str | None = None,
        host: str = "testserver",
        digest: str | None = None,
    ) -> dict[str, str]:
        date_header = (date or datetime.now(tz=UTC)).strftime(GMT_STRING)
        digest = digest or content_digest_sha256(body, prefix="SHA-256")
        signature = build_signature(host, "post", path).with_field("date", date_header)
        signature = signature.with_field("digest", digest)
        secret = CryptographicSecret.from_pem(key_id or self.key_id, private_key_pem or self.private_key_pem)
        return {"Date": date_header, "Digest": digest, "Signature": signature.sign_for_http_draft(secret)}

    def post(self, client, path: str, activity: object, *, body: bytes | None = None, unsigned=False, **sign):
        data = json.dumps(activity).encode() if body is None else body
        headers = {} if unsigned else self.signed_headers(path, data, **sign)
        return client.post(path, data=data, content_type="application/activity+json", headers=headers)


@pytest.fixture
def remote_actor(db):
    """``KnownRemoteActor``: alice on social.example, recorded as fetched, signing with bovine."""
    return KnownRemoteActor()
