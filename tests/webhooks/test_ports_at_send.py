"""The port rule holds at send time too: an endpoint saved before the rule (or written around the
form) on another port gets no request, each attempt failing with the rule's message before any
look-up or connection; enabling it again is refused until its URL is changed. Loopback test
receivers keep any port (PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK: every other delivery test)."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from testkit.dns import scripted_getaddrinfo
from webhooks import services, tasks
from webhooks.delivery import DeliveryError, post
from webhooks.models import CLAIM_CREATED, WebhookDelivery, WebhookEndpoint
from webhooks.signing import new_secret

pytestmark = pytest.mark.django_db


def _saved_before_the_rule(provider, coordinator, url: str, *, active: bool = True) -> WebhookEndpoint:
    """An endpoint row as an older release saved it: written directly, no form, no service check."""
    return WebhookEndpoint.objects.create(
        provider=provider,
        url=url,
        events=[CLAIM_CREATED],
        secret=new_secret(),
        created_by=coordinator,
        is_active=active,
        disabled_by="" if active else WebhookEndpoint.DisabledBy.OWNER,
        disabled_at=None if active else timezone.now(),
    )


def _deliver(endpoint, capture) -> WebhookDelivery:
    with capture(execute=True):
        [delivery] = services.deliveries_create(
            event=CLAIM_CREATED, event_key="claim.created:1", data={"claim": {"id": 1}}, endpoints=[endpoint]
        )
    delivery.refresh_from_db()
    return delivery


def test_a_name_on_another_port_is_not_sent_to_even_where_its_address_would_be_reached(
    monkeypatch, receivers, provider, coordinator, django_capture_on_commit_callbacks
):
    """The name resolves to a receiver this test can reach (loopback is allowed in tests): without
    the check at send time the signed POST would arrive there. The name is not a loopback name, so
    the rule applies, and nothing is resolved or sent."""
    receiver = receivers([200])
    port = int(receiver.url().rsplit(":", 1)[1].split("/")[0])
    resolver = scripted_getaddrinfo("127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    endpoint = _saved_before_the_rule(provider, coordinator, f"http://hooks.example:{port}/hooks")

    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)

    assert receiver.requests == []
    assert resolver.calls == []  # refused before any look-up
    assert delivery.attempts == 1 and delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.response_status is None
    assert delivery.last_error == (
        f"Port {port} is not accepted: the URL must use port 80 (no port in the URL) or 8080."
    )


def test_an_endpoint_on_a_database_port_fails_every_attempt_and_is_given_up(
    settings, monkeypatch, provider, coordinator, django_capture_on_commit_callbacks
):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False  # as in production
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = False
    resolver = scripted_getaddrinfo("127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    endpoint = _saved_before_the_rule(provider, coordinator, "https://host.example:5432/")
    message = "Port 5432 is not accepted: the URL must use port 443 (no port in the URL) or 8443."

    delivery = _deliver(endpoint, django_capture_on_commit_callbacks)
    assert delivery.last_error == message
    for attempt in range(2, tasks.max_attempts() + 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
        assert tasks.attempt_delivery(delivery.pk, attempt) in ("retry", "failed")
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_error == message
    assert resolver.calls == []
    given_up = AuditEvent.objects.get(action="webhook_delivery.given_up", object_id=str(delivery.pk))
    assert given_up.data["error"] == message


def test_post_refuses_a_refused_port_before_any_look_up(settings, monkeypatch):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False
    resolver = scripted_getaddrinfo("127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(DeliveryError, match=r"^Port 6379 is not accepted"):
        post("https://host.example:6379/hooks", body=b"{}", headers={}, timeout=0.3)
    with pytest.raises(DeliveryError, match="must be a number from 1 to 65535"):
        post("https://host.example:99999/hooks", body=b"{}", headers={}, timeout=0.3)
    assert resolver.calls == []


def test_enabling_an_endpoint_on_a_refused_port_is_refused_until_its_url_is_changed(
    settings, coordinator_client, provider, coordinator
):
    settings.PODCASTCME_WEBHOOKS_ALLOW_LOOPBACK = False
    settings.PODCASTCME_WEBHOOKS_ALLOW_HTTP = False
    endpoint = _saved_before_the_rule(provider, coordinator, "https://host.example:5432/", active=False)
    pending = WebhookDelivery.objects.create(
        endpoint=endpoint, event_type=CLAIM_CREATED, event_key="claim.created:9", payload={}
    )
    enable = reverse("webhooks:coordinator_endpoint_action", args=[provider.slug, endpoint.pk, "enable"])

    response = coordinator_client.post(enable)

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Port 5432 is not accepted: the URL must use port 443 (no port in the URL) or 8443. "
        "Change the URL, then enable the endpoint."
    ) in html
    assert "Endpoint enabled" not in html
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_by == WebhookEndpoint.DisabledBy.OWNER
    assert not AuditEvent.objects.filter(action="webhook_endpoint.enabled").exists()
    pending.refresh_from_db()
    assert pending.next_attempt_at is None  # not made due again
    with pytest.raises(ValidationError, match="Port 5432 is not accepted"):
        services.endpoint_enable(endpoint=endpoint, actor=coordinator)

    # The way out: change the URL (the form checks the port), then enable.
    services.endpoint_update(
        endpoint=endpoint,
        actor=coordinator,
        url="https://host.example/",
        events=[CLAIM_CREATED],
        description="",
    )
    assert coordinator_client.post(enable).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert (
        AuditEvent.objects.filter(action="webhook_endpoint.enabled", object_id=str(endpoint.pk)).count() == 1
    )
