"""fetch_actor against a server on 127.0.0.1: a signed GET bovine verifies, the actor recorded; and
every answer it must refuse (too large, not JSON, wrong type, an id of another server, no key, 410),
and every address it must not reach (SSRF)."""

import asyncio
import json
import socket
import time

import pytest
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier
from multidict import CIMultiDict, CIMultiDictProxy

from fediverse.blocks import domain_block
from fediverse.keys import actor_key, actor_url, key_id
from fediverse.models import Follower, RemoteActor
from fediverse.remote import RemoteError, RemoteGone, fetch_actor
from testkit.loopback import LoopbackServer, QuietHandler

pytestmark = pytest.mark.django_db

PUBLIC_PEM, _PRIVATE = generate_rsa_public_private_key()


class ActorServer:
    """Answers GET <path> with ``pages[path]``: (status, content type, body bytes[, headers])."""

    def __init__(self):
        self.pages: dict[str, tuple] = {}
        self.requests: list[dict] = []
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                server.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, content_type, body, *extra = server.pages.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = LoopbackServer(Handler)
        self.base = self.server.base

    def actor(self, path: str = "/users/bob", **changes) -> dict:
        url = self.base + path
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": url,
            "type": "Person",
            "preferredUsername": "bob",
            "name": "Bob",
            "url": self.base + "/@bob",
            "inbox": url + "/inbox",
            "endpoints": {"sharedInbox": self.base + "/inbox"},
            "publicKey": {"id": url + "#main-key", "owner": url, "publicKeyPem": PUBLIC_PEM},
        }
        document.update(changes)
        return document

    def serve(
        self, path: str, document, *, status=200, content_type="application/activity+json", headers=None
    ):
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.pages[path] = (status, content_type, body, headers or {})


@pytest.fixture
def peer(settings):
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    settings.PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS = 0.5
    server = ActorServer()
    yield server
    server.server.stop()


def test_fetch_actor_signs_its_get_and_records_the_actor(peer, show):
    peer.serve("/users/bob", peer.actor())
    actor = fetch_actor(peer.base + "/users/bob#main-key", show=show)
    assert actor.url == peer.base + "/users/bob"
    assert (actor.domain, actor.preferred_username, actor.name) == ("127.0.0.1", "bob", "Bob")
    assert (actor.inbox, actor.shared_inbox) == (actor.url + "/inbox", peer.base + "/inbox")
    assert actor.public_key_id == actor.url + "#main-key" and actor.public_key_pem == PUBLIC_PEM
    assert actor.handle == "@bob@127.0.0.1"
    (request,) = peer.requests
    assert "application/activity+json" in request["headers"]["Accept"]

    published = CryptographicIdentifier.from_pem(actor_key(show).public_key_pem, actor_url(show))

    async def retrieve(key):
        return published if key == key_id(show) else None

    checker = build_validate_http_signature_raw(retrieve)
    headers = CIMultiDictProxy(CIMultiDict(request["headers"]))
    signer = asyncio.run(checker("GET", peer.base + request["path"], headers, None))
    assert signer == actor_url(show)
    assert key_id(show) in request["headers"]["Signature"]
    # Known and fresh: taken from our records, no second request.
    assert fetch_actor(actor.url).pk == actor.pk and len(peer.requests) == 1
    fetch_actor(actor.url, refresh=True)
    assert len(peer.requests) == 2


def test_a_redirect_to_the_actor_is_followed(peer):
    peer.serve("/@bob", b"", status=301, headers={"Location": "/users/bob"})
    peer.serve("/users/bob", peer.actor())
    assert fetch_actor(peer.base + "/@bob").url == peer.base + "/users/bob"


@pytest.mark.parametrize(
    ("serve", "message"),
    [
        (lambda p: p.serve("/users/bob", b"x" * (300 * 1024)), "answered more than 256 KB"),
        (lambda p: p.serve("/users/bob", p.actor(), content_type="text/html"), "answered text/html"),
        (lambda p: p.serve("/users/bob", b"{not json"), "not JSON"),
        (lambda p: p.serve("/users/bob", [1, 2]), "not an object"),
        (
            lambda p: p.serve("/users/bob", p.actor(id="https://elsewhere.example/users/bob")),
            "is not an actor of",
        ),
        (lambda p: p.serve("/users/bob", p.actor(type="Note")), "not an actor"),
        (lambda p: p.serve("/users/bob", p.actor(inbox="javascript:alert(1)")), "has no inbox"),
        (lambda p: p.serve("/users/bob", p.actor(publicKey=None)), "no public key"),
        (
            lambda p: p.serve("/users/bob", p.actor(publicKey={"id": "x", "publicKeyPem": "nope"})),
            "no usable",
        ),
        (lambda p: p.serve("/users/bob", b"", status=500), "HTTP 500"),
        (lambda p: None, "HTTP 404"),
    ],
)
def test_unusable_answers_are_refused_and_nothing_is_recorded(peer, serve, message):
    serve(peer)
    with pytest.raises(RemoteError, match=message):
        fetch_actor(peer.base + "/users/bob")
    assert not RemoteActor.objects.exists()


def test_410_marks_a_known_actor_gone(peer, show):
    peer.serve("/users/bob", peer.actor())
    actor = fetch_actor(peer.base + "/users/bob")
    Follower.objects.create(show=show, actor=actor, follow_activity_id=actor.url + "/f")
    peer.serve("/users/bob", {"type": "Tombstone"}, status=410)
    with pytest.raises(RemoteGone):
        fetch_actor(actor.url, refresh=True)
    actor.refresh_from_db()
    assert actor.gone_at is not None
    assert Follower.objects.get().ended_at is not None


def test_a_server_that_does_not_answer_costs_the_timeout_only(settings):
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    settings.PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS = 0.3
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        started = time.monotonic()
        with pytest.raises(RemoteError, match="timed out"):
            fetch_actor(f"http://127.0.0.1:{listener.getsockname()[1]}/users/bob")
        assert time.monotonic() - started < 1.0
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/users/x", "loopback"),
        ("http://localhost:9/users/x", "loopback"),
        ("http://[::1]:9/users/x", "loopback"),
        ("http://10.0.0.1/users/x", "private"),
        ("http://192.168.1.1/users/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::ffff:127.0.0.1]/users/x", "loopback"),
        ("http://2130706433/users/x", "loopback"),  # 127.0.0.1 as a number
        ("file:///etc/passwd", "not an http"),
        ("gopher://example.org/x", "not an http"),
    ],
)
def test_addresses_off_the_public_internet_are_refused(url, message):
    with pytest.raises(RemoteError, match=message):
        fetch_actor(url)
    assert not RemoteActor.objects.exists()


FORGED_PEM, _FORGED_PRIVATE = generate_rsa_public_private_key()


def test_a_redirect_to_another_server_cannot_give_an_actor_a_key_of_its_own(peer):
    # /users/x on 127.0.0.1 redirects to "localhost", which answers bob@127.0.0.1's document with
    # its own key: before, that document was recorded as bob's (the id's host was the one asked).
    other = peer.base.replace("127.0.0.1", "localhost")
    peer.serve("/users/x", b"", status=302, headers={"Location": other + "/forged"})
    peer.serve(
        "/forged", peer.actor(publicKey={"id": peer.base + "/users/x#main-key", "publicKeyPem": FORGED_PEM})
    )
    with pytest.raises(RemoteError, match="is not an actor of localhost"):
        fetch_actor(peer.base + "/users/x")
    assert not RemoteActor.objects.exists()


def test_a_document_naming_another_actor_of_its_server_is_taken_from_that_actors_address(peer):
    # /users/mallory answers with bob's id and mallory's key: bob is fetched from bob's own address.
    forged_key = {"id": peer.base + "/users/bob#main-key", "publicKeyPem": FORGED_PEM}
    peer.serve("/users/mallory", peer.actor(publicKey=forged_key))
    peer.serve("/users/bob", peer.actor())
    actor = fetch_actor(peer.base + "/users/mallory")
    assert actor.url == peer.base + "/users/bob"
    assert actor.public_key_pem == PUBLIC_PEM
    assert [request["path"] for request in peer.requests] == ["/users/mallory", "/users/bob"]
    # And when bob's own address does not serve bob, nothing is recorded.
    RemoteActor.objects.all().delete()
    peer.serve("/users/bob", peer.actor(id=peer.base + "/users/carol"))
    with pytest.raises(RemoteError, match="does not serve the actor it names"):
        fetch_actor(peer.base + "/users/mallory")
    assert not RemoteActor.objects.exists()


def test_a_key_id_on_another_server_is_refused(peer):
    key = {"id": "https://mastodon.example/users/alice#main-key", "publicKeyPem": PUBLIC_PEM}
    peer.serve("/users/bob", peer.actor(publicKey=key))
    with pytest.raises(RemoteError, match="publishes a key of another server"):
        fetch_actor(peer.base + "/users/bob")
    assert not RemoteActor.objects.exists()


def test_a_redirect_into_a_blocked_domain_is_not_followed(peer):
    domain_block(domain="localhost", by=None)
    peer.serve(
        "/@bob",
        b"",
        status=301,
        headers={"Location": peer.base.replace("127.0.0.1", "localhost") + "/users/bob"},
    )
    with pytest.raises(RemoteError, match="localhost is blocked"):
        fetch_actor(peer.base + "/@bob")
    assert [request["path"] for request in peer.requests] == ["/@bob"]


def test_a_name_server_that_does_not_answer_costs_the_timeout_only(settings, monkeypatch):
    # getaddrinfo has no timeout of its own: before, a silent name server held the worker.
    settings.PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS = 0.3

    def silent(*args, **kwargs):
        time.sleep(1.5)
        raise OSError("no answer")  # handled by the resolver thread, which outlives the test

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    started = time.monotonic()
    with pytest.raises(RemoteError, match="timed out"):
        fetch_actor("https://slow-dns.example/users/bob")
    assert time.monotonic() - started < 1.0
