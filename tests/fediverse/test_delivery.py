"""Delivery against inboxes on 127.0.0.1 that check our HTTP signature with bovine: the Accept of a
Follow arrives signed; failures are retried with back-off (500, then a timeout) and given up;
410 ends the actor; 4xx gives up at once; one dead server delays nobody; nothing is sent for a
rolled-back transaction; follower_inboxes uses shared inboxes once."""

import asyncio
import json
import socket
import time
from datetime import timedelta

import pytest
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.types import CryptographicIdentifier
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend
from multidict import CIMultiDict, CIMultiDictProxy

from audit.models import AuditEvent
from fediverse import delivery as delivery_module
from fediverse.audit_actions import FediverseAction
from fediverse.blocks import domain_block
from fediverse.delivery import deliver, follower_inboxes, send_delivery
from fediverse.keys import actor_key, actor_url, key_id
from fediverse.models import Delivery, Follower, RemoteActor
from testkit.loopback import LoopbackServer, QuietHandler

pytestmark = pytest.mark.django_db

QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
ACTIVITY = {"@context": "https://www.w3.org/ns/activitystreams", "id": "http://testserver/ap/activities/1"}


class Inbox:
    """An inbox on 127.0.0.1: each POST is checked with bovine's draft-cavage verifier against the
    key ``keys`` names (the key we publish), then answered with ``answers`` in turn (the last
    repeats); an answer of None sits on the request ``hang`` seconds without answering."""

    def __init__(self, keys: dict[str, tuple[str, str]], answers=(202,), hang: float = 2.0):
        self.keys = keys
        self.answers = list(answers)
        self.hang = hang
        self.received: list[dict] = []
        inbox = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = inbox.answers.pop(0) if len(inbox.answers) > 1 else inbox.answers[0]
                inbox.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "activity": json.loads(body),
                        "signer": inbox.verify(self.path, dict(self.headers), body),
                    }
                )
                if answer is None:
                    time.sleep(inbox.hang)
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = LoopbackServer(Handler)
        self.url = self.server.url("/users/alice/inbox")

    def verify(self, path: str, headers: dict[str, str], body: bytes) -> str | None:
        async def retrieve(key: str):
            if key not in self.keys:
                return None
            pem, owner = self.keys[key]
            return CryptographicIdentifier.from_pem(pem, owner)

        async def read_body():
            return body

        checker = build_validate_http_signature_raw(retrieve)
        url = "http://" + headers["Host"] + path
        return asyncio.run(checker("POST", url, CIMultiDictProxy(CIMultiDict(headers)), read_body))

    def stop(self):
        self.server.stop()


@pytest.fixture
def inboxes(settings, show):
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    settings.PODCASTCME_FEDIVERSE_TIMEOUT_SECONDS = 0.3
    keys = {key_id(show): (actor_key(show).public_key_pem, actor_url(show))}
    started = []

    def start(answers=(202,), hang=2.0) -> Inbox:
        inbox = Inbox(keys, answers, hang)
        started.append(inbox)
        return inbox

    yield start
    for inbox in started:
        inbox.stop()


@pytest.fixture
def queue(settings):
    """Tasks wait in a queue, as for the worker in production, until the test runs them."""
    settings.TASKS = QUEUE
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def _run_queued(queue) -> list:
    results, queue.results = list(queue.results), []
    for result in results:
        result.task.call(*result.args, **result.kwargs)
    return results


def test_a_follow_is_answered_by_an_accept_signed_as_bovine_expects(
    client, show, remote_actor, inboxes, django_capture_on_commit_callbacks
):
    inbox = inboxes()
    RemoteActor.objects.filter(pk=remote_actor.row.pk).update(inbox=inbox.url)
    follow = remote_actor.activity("Follow", actor_url(show))
    with django_capture_on_commit_callbacks(execute=True):
        response = remote_actor.post(client, f"/ap/shows/{show.slug}/inbox", follow)
    assert response.status_code == 202
    (received,) = inbox.received
    assert received["signer"] == actor_url(show)  # bovine verified our signature with our key
    assert received["headers"]["Content-Type"] == "application/activity+json"
    accept = received["activity"]
    assert accept["type"] == "Accept" and accept["actor"] == actor_url(show)
    assert accept["object"]["id"] == follow["id"] and accept["object"]["type"] == "Follow"
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_error) == (Delivery.Status.DELIVERED, 1, "")
    assert row.delivered_at is not None


def test_a_failing_inbox_is_retried_with_back_off_then_given_up(
    show, inboxes, queue, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(delivery_module, "MAX_ATTEMPTS", 3)
    dead = inboxes(answers=(500, None), hang=1.0)  # first 500, then no answer at all
    with django_capture_on_commit_callbacks(execute=True):
        deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[dead.url])
    row = Delivery.objects.get()
    assert row.status == Delivery.Status.PENDING and len(queue.results) == 1

    before = timezone.now()
    _run_queued(queue)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Delivery.Status.PENDING, 1, "HTTP 500")
    (retry,) = queue.results
    assert timedelta(seconds=59) <= retry.task.run_after - before <= timedelta(seconds=62)  # 1 minute

    started = time.monotonic()
    before = timezone.now()
    _run_queued(queue)
    assert time.monotonic() - started < 1.0  # the short timeout, not the server's pace
    row.refresh_from_db()
    assert row.attempts == 2 and "timed out" in row.last_error
    (retry,) = queue.results
    assert timedelta(seconds=119) <= retry.task.run_after - before <= timedelta(seconds=122)  # 2 minutes

    _run_queued(queue)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Delivery.Status.GIVEN_UP, 3)
    assert "timed out" in row.last_error
    assert queue.results == []
    assert AuditEvent.objects.filter(action=FediverseAction.DELIVERY_GIVEN_UP, object_id=str(row.pk)).exists()
    assert len(dead.received) == 3
    assert all(request["signer"] == actor_url(show) for request in dead.received)


def test_one_dead_server_delays_neither_the_others_nor_the_caller(
    show, inboxes, django_capture_on_commit_callbacks
):
    dead, alive = inboxes(answers=(None,), hang=1.0), inboxes()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[dead.url, alive.url])
    assert time.monotonic() - started < 0.5  # nothing sent inside the caller's transaction
    assert dead.received == [] and alive.received == []
    for callback in callbacks:  # after the commit: one task per inbox (immediate backend here)
        callback()
    statuses = dict(Delivery.objects.values_list("inbox", "status"))
    assert statuses == {dead.url: Delivery.Status.PENDING, alive.url: Delivery.Status.DELIVERED}
    assert len(alive.received) == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(show, inboxes, django_capture_on_commit_callbacks):
    inbox = inboxes()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[inbox.url])
                raise RuntimeError("the publishing failed")
        except RuntimeError:
            pass
    assert callbacks == [] and inbox.received == [] and not Delivery.objects.exists()


def test_410_marks_the_actor_gone_and_ends_its_follows(show, remote_actor, inboxes, queue):
    inbox = inboxes(answers=(410,))
    RemoteActor.objects.filter(pk=remote_actor.row.pk).update(inbox=inbox.url, shared_inbox="")
    Follower.objects.create(show=show, actor=remote_actor.row, follow_activity_id=remote_actor.url + "/f/1")
    deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[inbox.url])
    send_delivery.call(Delivery.objects.get().pk)
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == (Delivery.Status.GIVEN_UP, "HTTP 410 Gone")
    assert RemoteActor.objects.get().gone_at is not None
    assert Follower.objects.get().ended_at is not None
    assert follower_inboxes(show) == []


@pytest.mark.parametrize(
    ("answer", "status"), [(400, "given_up"), (403, "given_up"), (429, "pending"), (503, "pending")]
)
def test_a_refusal_gives_up_at_once_a_busy_server_is_retried(show, inboxes, queue, answer, status):
    inbox = inboxes(answers=(answer,))
    deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[inbox.url])
    send_delivery.call(Delivery.objects.get().pk)
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == (status, f"HTTP {answer}")


def test_a_loopback_inbox_is_refused_without_the_test_opt_in(show, inboxes, settings, queue):
    inbox = inboxes()
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = False
    deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[inbox.url, "file:///etc/passwd"])
    for pk in Delivery.objects.values_list("pk", flat=True):
        send_delivery.call(pk)
    errors = dict(Delivery.objects.values_list("inbox", "last_error"))
    assert "127.0.0.1 is 127.0.0.1, a loopback address" in errors[inbox.url]
    assert "Only http and https" in errors["file:///etc/passwd"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.GIVEN_UP}
    assert inbox.received == []


def test_a_blocked_domain_gets_no_request(show, inboxes, queue, django_capture_on_commit_callbacks):
    inbox = inboxes()
    domain_block(domain="blocked.example", by=None, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(
            show=show,
            activity=ACTIVITY | {"type": "Create"},
            inboxes=["https://blocked.example/inbox", inbox.url],
        )
    blocked = Delivery.objects.get(domain="blocked.example")
    assert (blocked.status, blocked.last_error) == (Delivery.Status.BLOCKED, "Domain blocked.")
    assert len(queue.results) == 1  # only the other one is queued
    # A block made while a delivery waits: the task sends nothing.
    waiting = Delivery.objects.get(domain="127.0.0.1")
    Delivery.objects.filter(pk=waiting.pk).update(domain="late.example")
    domain_block(domain="late.example", show=show, by=None, reason="")
    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.BLOCKED  # the block stopped it
    _run_queued(queue)
    assert inbox.received == []


def test_follower_inboxes_uses_each_shared_inbox_once(show):
    def actor(name: str, domain: str, shared: bool = True, **extra) -> RemoteActor:
        row = RemoteActor.objects.create(
            url=f"https://{domain}/users/{name}",
            domain=domain,
            inbox=f"https://{domain}/users/{name}/inbox",
            shared_inbox=f"https://{domain}/inbox" if shared else "",
            **extra,
        )
        Follower.objects.create(show=show, actor=row, follow_activity_id=row.url + "/follow")
        return row

    actor("a", "one.example")
    actor("b", "one.example")  # same server: its shared inbox once
    actor("c", "two.example", shared=False)
    actor("d", "gone.example", gone_at=timezone.now())
    actor("e", "blocked.example")
    ended = actor("f", "three.example")
    Follower.objects.filter(actor=ended).update(ended_at=timezone.now())
    domain_block(domain="blocked.example", show=show, by=None, reason="")
    assert follower_inboxes(show) == ["https://one.example/inbox", "https://two.example/users/c/inbox"]


def test_a_delivery_that_raises_is_tried_again_not_left_waiting_forever(
    show, inboxes, queue, monkeypatch, django_capture_on_commit_callbacks
):
    alive = inboxes()

    def broken(*args, **kwargs):
        raise KeyError("a bug of ours")

    monkeypatch.setattr(delivery_module, "sign_headers", broken)
    with django_capture_on_commit_callbacks(execute=True):
        deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[alive.url])
    _run_queued(queue)  # before: the task raised, the row stayed waiting and nothing was queued
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == (Delivery.Status.PENDING, 1)
    assert row.last_error == "KeyError: 'a bug of ours'"
    assert len(queue.results) == 1  # tried again later
    monkeypatch.undo()
    _run_queued(queue)
    row.refresh_from_db()
    assert row.status == Delivery.Status.DELIVERED and len(alive.received) == 1


def test_an_inbox_on_an_internationalised_domain_gets_a_signed_post(
    show, inboxes, monkeypatch, django_capture_on_commit_callbacks
):
    # Before, http.client could not write the Host header of bücher.test (ASCII only): every try
    # failed; and the signature named the host in Unicode, which the receiver never sees.
    alive = inboxes()
    resolve = socket.getaddrinfo
    names = []

    def to_loopback(host, port, *args, **kwargs):
        names.append(host)
        return resolve("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", to_loopback)
    url = alive.url.replace("127.0.0.1", "Bücher.test")
    with django_capture_on_commit_callbacks(execute=True):
        deliver(show=show, activity=ACTIVITY | {"type": "Create"}, inboxes=[url])
    row = Delivery.objects.get()
    assert (row.status, row.domain) == (Delivery.Status.DELIVERED, "xn--bcher-kva.test"), row.last_error
    (received,) = alive.received
    assert received["headers"]["Host"] == f"xn--bcher-kva.test:{alive.server.port}"
    assert received["signer"] == actor_url(show)
