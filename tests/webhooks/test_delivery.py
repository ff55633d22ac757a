"""Delivering to real receivers on loopback: signed, retried, timed out, redirects not followed,
private addresses refused, given up and the endpoint disabled; one attempt is sent once."""

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from webhooks import services, tasks
from webhooks.delivery import DeliveryError, post
from webhooks.models import CLAIM_CREATED, WebhookDelivery, WebhookEndpoint
from webhooks.signing import new_secret

pytestmark = pytest.mark.django_db


def _endpoint(owner, actor, url, events=(CLAIM_CREATED,)) -> WebhookEndpoint:
    return services.endpoint_create(owner=owner, actor=actor, url=url, events=list(events))


def _deliver(endpoint, capture, key="claim.created:1", data=None) -> WebhookDelivery:
    with capture(execute=True):
        [delivery] = services.deliveries_create(
            event=CLAIM_CREATED, event_key=key, data=data or {"claim": {"id": 1}}, endpoints=[endpoint]
        )
    delivery.refresh_from_db()
    return delivery


def _time_passes(delivery: WebhookDelivery) -> None:
    """The retry's time comes (rather than waiting minutes)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs/webhooks.md), without the app's signing code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(part.removeprefix("v1,"), expected)
        for part in headers["webhook-signature"].split()
    )


def test_a_receiver_gets_the_signed_event_once(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks, data={"claim": {"id": 7}})

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks"
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == str(delivery.uuid)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert _verify(endpoint.secret, headers, body)
    assert not _verify(endpoint.secret, headers, body + b" ")  # a changed body fails
    payload = receiver.payloads()[0]
    assert payload["id"] == str(delivery.uuid)
    assert payload["type"] == "claim.created"
    assert payload["data"] == {"claim": {"id": 7}}
    assert payload["created_at"].endswith("Z")
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_status) == (1, 200)
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.next_attempt_at is None


def test_a_500_is_retried_later_with_the_same_id_and_then_succeeds(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([500, 200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.response_status, delivery.last_error) == (1, 500, "HTTP 500")
    assert len(delivery.response_excerpt) <= 500  # only a short excerpt of the answer is kept
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)  # the first back-off: one minute
    assert tasks.deliveries_send_due() == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    _time_passes(delivery)
    assert tasks.deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2
    ids = {request["headers"]["webhook-id"] for request in receiver.requests}
    assert ids == {str(delivery.uuid)}  # idempotent: one id for every attempt
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    assert all(_verify(endpoint.secret, r["headers"], r["body"]) for r in receiver.requests)


def test_a_receiver_that_does_not_answer_times_out_is_retried_and_given_up(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([200], sleep=1.0)  # answers after the 0.3 s timeout
    endpoint = _endpoint(provider, coordinator, receiver.url())
    started = time.monotonic()
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)
    assert time.monotonic() - started < 0.9  # cut off at the timeout, not when the receiver answers
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert "timed out" in delivery.last_error
    assert delivery.response_status is None

    for attempt in range(2, 5):  # settings: four attempts in all
        _time_passes(delivery)
        assert tasks.deliveries_send_due() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.failed_at is not None and delivery.next_attempt_at is None
    assert len(receiver.requests) == 4
    given_up = AuditEvent.objects.get(action="webhook_delivery.given_up", object_id=str(delivery.pk))
    assert given_up.data["attempts"] == 4
    _time_passes(delivery)
    assert tasks.deliveries_send_due() == 0  # a failed delivery is never sent again
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1 and endpoint.is_active


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    target = receivers([200])
    redirecting = receivers([302], headers={"Location": target.url("/elsewhere")})
    endpoint = _endpoint(provider, coordinator, redirecting.url())
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)

    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.response_status == 302
    assert "not followed" in delivery.last_error
    assert target.requests == []


def test_a_loopback_address_is_refused_when_loopback_is_not_allowed(
    settings, receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False  # as in production
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert "refused" in delivery.last_error and "loopback" in delivery.last_error


@pytest.mark.parametrize(
    "host",
    ["10.0.0.7", "192.168.1.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "0x7f000001", "localhost"],
)
def test_private_link_local_and_disguised_loopback_addresses_are_refused(
    settings, host, provider, coordinator, django_capture_on_commit_callbacks
):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False  # as in production
    endpoint = _endpoint(provider, coordinator, f"http://{host}/hooks")
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)
    assert delivery.last_error.startswith("refused: "), delivery.last_error  # by the guard, before connecting
    assert delivery.response_status is None


def test_an_attempt_is_sent_once_however_many_workers_run_it(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([500, 200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)
    assert tasks.attempt_delivery(delivery.pk, 1) == "skipped"  # a second worker with the same task
    _time_passes(delivery)
    assert tasks.attempt_delivery(delivery.pk, 2) == "delivered"
    assert tasks.attempt_delivery(delivery.pk, 2) == "skipped"
    assert tasks.attempt_delivery(delivery.pk, 3) == "skipped"  # nothing left to send
    assert len(receiver.requests) == 2


def test_repeated_give_ups_disable_the_endpoint_and_email_its_owners(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([503])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    for key in ("claim.created:1", "claim.created:2"):  # settings: disabled after 2 give-ups
        delivery = _deliver(endpoint, django_capture_on_commit_callbacks, key=key)
        for _attempt in range(3):
            _time_passes(delivery)
            with django_capture_on_commit_callbacks(execute=True):
                tasks.deliveries_send_due()
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.FAILED

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_by == WebhookEndpoint.DisabledBy.FAILURES
    assert (
        AuditEvent.objects.filter(action="webhook_endpoint.auto_disabled", object_id=str(endpoint.pk)).count()
        == 1
    )
    [email] = [m for m in mail.outbox if "disabled" in m.subject]  # sent through the outbox task
    assert email.to == [coordinator.email]
    assert endpoint.url in email.body and f"/webhooks/{endpoint.pk}/" in email.body
    assert endpoint.url in email.alternatives[0][0]

    # Disabled: nothing pending is sent (new events make no delivery: test_events).
    sent = len(receiver.requests)
    pending = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=CLAIM_CREATED, event_key="claim.created:3", payload={}
    )
    assert tasks.attempt_delivery(pending.pk, 1) == "skipped"
    assert len(receiver.requests) == sent


def test_a_success_resets_the_failure_count(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=1)
    _deliver(endpoint, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_the_sweep_command_sends_what_is_due(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([500, 200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)
    _time_passes(delivery)
    out = StringIO()
    call_command("webhooks_send_due", stdout=out)
    assert out.getvalue().strip() == "1 webhook attempt(s) enqueued."
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED


def test_the_documented_python_snippet_verifies_a_real_delivery(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    doc = (Path(django_settings.BASE_DIR) / "docs" / "webhooks.md").read_text()
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own documentation, run as a receiver would)
    receiver = receivers([200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    _deliver(endpoint, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    assert namespace["verify"](endpoint.secret, request["headers"], request["body"]) is True
    assert namespace["verify"](new_secret(), request["headers"], request["body"]) is False
    stale = {**request["headers"], "webhook-timestamp": str(int(time.time()) - 3600)}
    assert namespace["verify"](endpoint.secret, stale, request["body"]) is False


def test_a_first_attempt_whose_task_was_lost_is_sent_by_the_sweep(
    receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([200])
    endpoint = _endpoint(provider, coordinator, receiver.url())
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue after the commit never ran
        [delivery] = services.deliveries_create(
            event=CLAIM_CREATED, event_key="claim.created:1", data={"claim": {"id": 1}}, endpoints=[endpoint]
        )
    assert tasks.deliveries_send_due() == 0  # not yet: its own task may still come
    _time_passes(delivery)
    assert tasks.deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and len(receiver.requests) == 1


def test_a_receiver_trickling_its_answer_is_cut_off_within_the_attempts_deadline(provider, coordinator):
    """Each byte comes within the read timeout, but the whole answer would take far longer than an
    attempt's lease (3 x timeout + 60 s): the attempt ends by its deadline, so the sweep never starts
    a second one while the first is still under way."""
    from testkit.loopback import LoopbackServer, QuietHandler

    class Trickle(QuietHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(40):  # 40 x 0.1 s, each well within the 0.3 s read timeout
                    self.wfile.write(b"X-Slow: 1\r\n")
                    self.wfile.flush()
                    time.sleep(0.1)
                self.wfile.write(b"Content-Length: 0\r\n\r\n")
            except OSError:  # the client gave up first
                pass

    server = LoopbackServer(Trickle)
    try:
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="timed out"):
            post(server.url("/hooks"), body=b"{}", headers={}, timeout=0.3)
        assert time.monotonic() - started < 2.0  # 3 x 0.3 s, not the receiver's 4 s
    finally:
        server.stop()
