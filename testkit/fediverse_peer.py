"""A second, independent ActivityPub server on 127.0.0.1 for the federation tests, built with bovine.

Nothing here imports our fediverse app: what goes over the wire is built, signed and checked by
bovine (an ActivityPub library from PyPI), so a mistake in our HTTP signatures or our documents
cannot hide behind the same mistake on the other end.

The peer is one Mastodon-like account, ``alice``, with an RSA key made at start. It serves
WebFinger, its actor document (with ``endpoints.sharedInbox``), empty collections and the notes it
wrote; its inboxes (``/users/alice/inbox`` and the shared ``/inbox``) VERIFY every request's HTTP
signature with bovine's checker (draft-cavage; the key is fetched from the signer's actor document
on the live server) and keep what they verified in ``received`` and what they refused in
``rejected`` (answered 401). The client half sends signed requests with bovine's
``SignedHttpClient``: WebFinger lookup, signed GET, and POSTs of Follow, Undo, Create, Update and
Delete; ``post_forged`` signs by hand for the negative cases (another key, a stale Date, a body
changed after signing, no signature).

aiohttp runs in a background thread with its own event loop; the test thread calls the sync
methods, which run the coroutines on that loop.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urldefrag, urlsplit

import aiohttp
from aiohttp import web
from bovine.activitystreams import Actor
from bovine.activitystreams.activity_factory import Activity, ActivityFactory
from bovine.activitystreams.object_factory import ObjectFactory
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http import SignedHttpClient
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.types import Visibility
from bovine.utils import GMT_STRING, webfinger_response_json
from multidict import CIMultiDict, CIMultiDictProxy

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
T = TypeVar("T")


@dataclass
class Delivery:
    """One POST that reached the peer's inboxes, as it came (for re-checking), and the verdict."""

    inbox: str  # the path: /users/alice/inbox or /inbox (shared)
    method: str
    url: str
    headers: CIMultiDict[str]
    body: bytes
    activity: dict[str, Any] | None
    signer: str | None  # the actor whose key verified the signature; None: refused
    reason: str = ""  # why refused

    @property
    def type(self) -> str:
        return str((self.activity or {}).get("type", ""))

    @property
    def object(self) -> Any:
        return (self.activity or {}).get("object")

    def object_id(self) -> str | None:
        obj = self.object
        return obj.get("id") if isinstance(obj, dict) else obj


@dataclass
class Fetch:
    """A GET of the peer's actor or one of its notes, and whose signature it carried (None: none,
    or one that did not verify)."""

    path: str
    signer: str | None


@dataclass
class Response:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


class FediversePeer:
    """A Mastodon-like ActivityPub server with one account, started on a free loopback port."""

    def __init__(self, username: str = "alice", name: str = "Alice Example") -> None:
        self.username = username
        self.name = name
        self.public_key_pem, self.private_key_pem = generate_rsa_public_private_key()
        self.received: list[Delivery] = []  # verified deliveries
        self.rejected: list[Delivery] = []  # refused deliveries (401)
        self.notes: dict[str, dict[str, Any]] = {}  # the peer's notes, by id (served; deleted: 410)
        self.deleted: set[str] = set()
        self.key_fetches: list[str] = []  # key ids the verifier fetched
        self.fetches: list[Fetch] = []  # GETs of the actor and notes, with their verified signer
        # Mastodon's "authorized fetch" (secure mode): the actor and notes only for signed GETs.
        self.authorized_fetch = False
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fediverse-peer", daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._client: SignedHttpClient | None = None
        self.base_url = ""
        self._checker = build_validate_http_signature_raw(self._retrieve_key)

    # --- identity -----------------------------------------------------------------------------------

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def handle(self) -> str:
        return f"@{self.username}@{self.domain}"

    @property
    def actor_id(self) -> str:
        return f"{self.base_url}/users/{self.username}"

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    @property
    def inbox(self) -> str:
        return f"{self.actor_id}/inbox"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def followers(self) -> str:
        return f"{self.actor_id}/followers"

    def actor_document(self) -> dict[str, Any]:
        """The actor as Mastodon publishes one: built by bovine, with Mastodon's extra fields."""
        document = Actor(
            id=self.actor_id,
            type="Person",
            name=self.name,
            preferred_username=self.username,
            inbox=self.inbox,
            outbox=f"{self.actor_id}/outbox",
            followers=self.followers,
            following=f"{self.actor_id}/following",
            summary="<p>Emergency physician. Testing federation.</p>",
            url=f"{self.base_url}/@{self.username}",
            public_key=self.public_key_pem,
            public_key_name="main-key",
            properties={
                "endpoints": {"sharedInbox": self.shared_inbox},
                "manuallyApprovesFollowers": False,
                "discoverable": True,
            },
        ).build(visibility=Visibility.OWNER)  # with followers and following
        return document

    def _new_id(self, kind: str) -> str:
        return f"{self.actor_id}/{kind}/{uuid.uuid4().hex}"

    def _factories(self) -> tuple[ActivityFactory, ObjectFactory]:
        info = {"id": self.actor_id, "followers": self.followers}
        return (
            ActivityFactory(info, id_generator=lambda: self._new_id("activities")),
            ObjectFactory(actor_information=info, id_generator=lambda: self._new_id("statuses")),
        )

    # --- start and stop ----------------------------------------------------------------------------

    def start(self) -> "FediversePeer":
        self._thread.start()
        self._run(self._start())
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self._stop(), timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.add_routes(
            [
                web.get("/.well-known/webfinger", self._webfinger),
                web.get(f"/users/{self.username}", self._actor),
                web.get(f"/users/{self.username}/outbox", self._empty_collection),
                web.get(f"/users/{self.username}/followers", self._empty_collection),
                web.get(f"/users/{self.username}/following", self._empty_collection),
                web.get(f"/users/{self.username}/statuses/{{note}}", self._note),
                web.post(f"/users/{self.username}/inbox", self._inbox),
                web.post("/inbox", self._inbox),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._client = SignedHttpClient(self._session, self.key_id, self.private_key_pem)

    async def _stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _run(self, coroutine: Awaitable[T], timeout: float = 20) -> T:
        async def wrapped() -> T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout)

    # --- the server half ---------------------------------------------------------------------------

    async def _webfinger(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        if resource not in (f"acct:{self.username}@{self.domain}", self.actor_id):
            return web.json_response({"error": "not found"}, status=404)
        jrd = webfinger_response_json(f"acct:{self.username}@{self.domain}", self.actor_id)
        jrd["aliases"] = [self.actor_id, f"{self.base_url}/@{self.username}"]
        return web.json_response(jrd, content_type="application/jrd+json")

    async def _actor(self, request: web.Request) -> web.Response:
        refused = await self._check_fetch(request)
        return refused or _activity_json(self.actor_document())

    async def _check_fetch(self, request: web.Request) -> web.Response | None:
        """Verify a GET's signature when it has one (bovine: "(request-target)" and "date" signed,
        the Date within 5 minutes); in authorized-fetch mode an unverified GET is answered 401."""
        signer = None
        if "Signature" in request.headers:
            signer = await self.verify(request.method, str(request.url), CIMultiDict(request.headers), b"")
        with self._lock:
            self.fetches.append(Fetch(request.path, signer))
        if self.authorized_fetch and signer is None:
            return web.json_response({"error": "Request not signed"}, status=401)
        return None

    async def _empty_collection(self, request: web.Request) -> web.Response:
        collection = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": str(request.url),
            "type": "OrderedCollection",
            "totalItems": 0,
        }
        return _activity_json(collection)

    async def _note(self, request: web.Request) -> web.Response:
        refused = await self._check_fetch(request)
        if refused is not None:
            return refused
        note_id = f"{self.actor_id}/statuses/{request.match_info['note']}"
        with self._lock:
            if note_id in self.deleted:
                return _activity_json({"id": note_id, "type": "Tombstone"}, status=410)
            note = self.notes.get(note_id)
        if note is None:
            return web.json_response({"error": "not found"}, status=404)
        return _activity_json(note)

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        delivery = Delivery(
            inbox=request.path,
            method=request.method,
            url=str(request.url),
            headers=CIMultiDict(request.headers),
            body=body,
            activity=None,
            signer=None,
        )
        try:
            activity = json.loads(body)
            if not isinstance(activity, dict):
                raise ValueError("not an object")
            delivery.activity = activity
        except ValueError as error:
            delivery.reason = f"malformed JSON: {error}"
            return self._refuse(delivery, 400)
        signer = await self.verify(delivery.method, delivery.url, delivery.headers, body)
        if signer is None:
            delivery.reason = "HTTP signature not verified"
            return self._refuse(delivery, 401)
        actor = activity.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else actor
        if signer != actor_id:
            delivery.reason = f"signed by {signer}, sent as {actor_id}"
            return self._refuse(delivery, 401)
        delivery.signer = signer
        with self._changed:
            self.received.append(delivery)
            self._changed.notify_all()
        return web.Response(status=202)

    def _refuse(self, delivery: Delivery, status: int) -> web.Response:
        with self._changed:
            self.rejected.append(delivery)
            self._changed.notify_all()
        return web.json_response({"error": delivery.reason}, status=status)

    async def verify(self, method: str, url: str, headers: CIMultiDict[str], body: bytes) -> str | None:
        """bovine's draft-cavage check: the Date within 5 minutes, the Digest of ``body``, the
        signature over the signed headers with the key its keyId names. Returns the key's owner."""

        async def read_body() -> bytes:
            return body

        return await self._checker(method, url, CIMultiDictProxy(headers), read_body)

    def verify_sync(self, method: str, url: str, headers: CIMultiDict[str], body: bytes) -> str | None:
        return self._run(self.verify(method, url, headers, body))

    async def _retrieve_key(self, key_id: str) -> CryptographicIdentifier | None:
        """Fetch the signer's actor document (the keyId without its fragment) and take its publicKey
        when the ids match, as Mastodon does."""
        assert self._session is not None
        self.key_fetches.append(key_id)
        actor_url = urldefrag(key_id).url
        async with self._session.get(actor_url, headers={"Accept": ACTIVITY_JSON}) as response:
            if response.status != 200:
                return None
            document = await response.json(content_type=None)
        public_key = document.get("publicKey")
        if isinstance(public_key, list):
            public_key = next((k for k in public_key if k.get("id") == key_id), None)
        if not isinstance(public_key, dict) or public_key.get("id") != key_id:
            return None
        if public_key.get("owner") != document.get("id"):
            return None
        return CryptographicIdentifier.from_pem(public_key["publicKeyPem"], public_key["owner"])

    # --- waiting for deliveries --------------------------------------------------------------------

    def wait_for(
        self,
        type_: str,
        where: Callable[[Delivery], bool] = lambda d: True,
        *,
        after: int = 0,
        timeout: float = 10,
    ) -> Delivery:
        """The first verified delivery of ``type_`` (from index ``after`` on) that ``where`` accepts."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for delivery in self.received[after:]:
                    if delivery.type == type_ and where(delivery):
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(d.type, d.object_id()) for d in self.received]
                    refused = [(d.type, d.reason) for d in self.rejected]
                    raise AssertionError(
                        f"no verified {type_} reached the peer in {timeout} s; "
                        f"verified: {seen}; refused: {refused}"
                    )
                self._changed.wait(left)

    def received_count(self) -> int:
        with self._lock:
            return len(self.received)

    # --- the client half ---------------------------------------------------------------------------

    def webfinger(self, handle: str, *, base_url: str) -> str | None:
        """Resolve ``name@domain`` on the server at ``base_url`` (bovine's WebFinger lookup)."""
        assert self._session is not None
        actor, _ = self._run(lookup_uri_with_webfinger(self._session, f"acct:{handle}", domain=base_url))
        return actor

    def get(self, url: str) -> Response:
        """A signed GET asking for ActivityPub JSON."""

        async def go() -> Response:
            assert self._client is not None
            response = await self._client.get(url, headers={"Accept": ACTIVITY_JSON})
            async with response:
                return Response(response.status, await response.text(), dict(response.headers))

        return self._run(go())

    def post(self, inbox: str, activity: dict[str, Any]) -> Response:
        """POST ``activity`` to ``inbox``, signed by bovine's client (Digest, Date, Host signed)."""

        async def go() -> Response:
            assert self._client is not None
            response = await self._client.post(inbox, json.dumps(activity))
            async with response:
                return Response(response.status, await response.text(), dict(response.headers))

        return self._run(go())

    def post_forged(
        self,
        inbox: str,
        activity: dict[str, Any],
        *,
        private_key_pem: str | None = None,
        date: datetime | None = None,
        body_after_signing: bytes | None = None,
        unsigned: bool = False,
    ) -> Response:
        """POST signed by hand with bovine's primitives, to break one thing: another key under our
        keyId, a Date far from now, a body changed after the Digest and signature were made, or no
        signature at all."""
        body = json.dumps(activity).encode()
        host, target = urlsplit(inbox).netloc, urlsplit(inbox).path
        date_header = (date or datetime.now(tz=UTC)).strftime(GMT_STRING)
        digest_name, digest = "digest", content_digest_sha256(body, prefix="SHA-256")
        signature = build_signature(host, "post", target).with_field("date", date_header)
        signature = signature.with_field(digest_name, digest).with_field("content-type", ACTIVITY_JSON)
        secret = CryptographicSecret.from_pem(self.key_id, private_key_pem or self.private_key_pem)
        headers = {**signature.headers, "content-type": ACTIVITY_JSON}
        if not unsigned:
            headers["signature"] = signature.sign_for_http_draft(secret)
        sent = body if body_after_signing is None else body_after_signing

        async def go() -> Response:
            assert self._session is not None
            async with self._session.post(inbox, data=sent, headers=headers) as response:
                return Response(response.status, await response.text(), dict(response.headers))

        return self._run(go())

    # --- activities, built with bovine's factories -------------------------------------------------

    def follow_activity(self, actor_url: str) -> dict[str, Any]:
        activities, _ = self._factories()
        return activities.follow(actor_url).build()

    def undo_activity(self, activity: dict[str, Any]) -> dict[str, Any]:
        inner = {k: v for k, v in activity.items() if k != "@context"}
        return Activity(
            type="Undo",
            actor=self.actor_id,
            id=self._new_id("activities"),
            object=inner,  # type: ignore[arg-type]  # bovine types it as str; Mastodon embeds it
            to=set(_as_list(activity.get("to"))),
        ).build()

    def reply_note(self, note: dict[str, Any], content: str) -> dict[str, Any]:
        """A public reply to ``note`` (to its author; cc what it was addressed to), as Mastodon
        writes one: with its web page as ``url``. The peer serves it at its id."""
        _, objects = self._factories()
        reply = objects.reply(note, content=content).build()
        reply["cc"] = sorted(set(_as_list(reply.get("cc"))) | {AS_PUBLIC})
        reply["url"] = f"{self.base_url}/@{self.username}/{reply['id'].rsplit('/', 1)[-1]}"
        with self._lock:
            self.notes[reply["id"]] = reply
        return reply

    def create_activity(self, note: dict[str, Any]) -> dict[str, Any]:
        activities, _ = self._factories()
        inner = {k: v for k, v in note.items() if k != "@context"}
        return activities.create(inner).build()

    def update_activity(self, note: dict[str, Any], content: str) -> dict[str, Any]:
        """The note edited (Mastodon sends the whole note again, with ``updated``)."""
        activities, _ = self._factories()
        edited = {k: v for k, v in note.items() if k != "@context"}
        edited["content"] = content
        edited["updated"] = datetime.now(tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        with self._lock:
            self.notes[edited["id"]] = edited
        return activities.update(edited).build()

    def delete_activity(self, note: dict[str, Any]) -> dict[str, Any]:
        """The note deleted; the object is a Tombstone, as Mastodon sends it."""
        activities, _ = self._factories()
        with self._lock:
            self.deleted.add(note["id"])
        tombstone = {"id": note["id"], "type": "Tombstone"}
        return activities.delete(tombstone, to={AS_PUBLIC}).build()


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _activity_json(document: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(document), status=status, content_type="application/activity+json", charset="utf-8"
    )


def sha256_digest(body: bytes) -> str:
    """The Digest header value for ``body`` (for tampering tests that recompute it)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


@contextlib.contextmanager
def running_peer(username: str = "alice") -> Iterator[FediversePeer]:
    peer = FediversePeer(username).start()
    try:
        yield peer
    finally:
        peer.stop()
