"""Changing an endpoint's URL: deliveries still pending (and their retries) go to the new URL at
their next attempt, with the same id and body (as Stripe and GitHub send redeliveries to the current
URL); delivered ones are not sent again. The page says so, and says how many are pending."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from webhooks import services, tasks
from webhooks.models import CLAIM_CREATED, WebhookDelivery

pytestmark = pytest.mark.django_db


def _deliver(endpoint, capture, key: str) -> WebhookDelivery:
    with capture(execute=True):
        [delivery] = services.deliveries_create(
            event=CLAIM_CREATED, event_key=key, data={"claim": {"id": 1}}, endpoints=[endpoint]
        )
    delivery.refresh_from_db()
    return delivery


def test_pending_deliveries_go_to_the_new_url_and_the_page_says_so(
    receivers, coordinator_client, provider, coordinator, django_capture_on_commit_callbacks
):
    old, new = receivers([500]), receivers([200])
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=old.url(), events=[CLAIM_CREATED]
    )
    done = _deliver(endpoint, django_capture_on_commit_callbacks, "claim.created:1")
    WebhookDelivery.objects.filter(pk=done.pk).update(status=WebhookDelivery.Status.DELIVERED)
    pending = _deliver(endpoint, django_capture_on_commit_callbacks, "claim.created:2")
    assert pending.status == WebhookDelivery.Status.PENDING and pending.attempts == 1
    assert len(old.requests) == 2

    page_url = reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk])
    page = coordinator_client.get(page_url).content.decode()
    assert "1 delivery is still pending." in page
    assert "are sent to the URL saved here at their next attempt" in page

    response = coordinator_client.post(
        page_url, {"url": new.url("/v2"), "events": [CLAIM_CREATED]}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Endpoint saved." in html
    assert "1 delivery still pending goes to the new URL at its next attempt." in html

    # Its retry's time comes: the attempt goes to the new URL, same id and body.
    WebhookDelivery.objects.filter(pk=pending.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.deliveries_send_due() == 1
    pending.refresh_from_db()
    assert pending.status == WebhookDelivery.Status.DELIVERED and pending.attempts == 2
    assert len(old.requests) == 2  # nothing more to the old URL
    [request] = new.requests
    assert request["path"] == "/v2"
    assert request["headers"]["webhook-id"] == str(pending.uuid)
    assert json.loads(request["body"]) == pending.payload  # the same body
    # The delivered one was not sent again.
    assert [json.loads(r["body"])["id"] for r in new.requests] == [str(pending.uuid)]


def test_a_change_that_keeps_the_url_says_nothing_of_pending_deliveries(
    receivers, coordinator_client, provider, coordinator, django_capture_on_commit_callbacks
):
    receiver = receivers([500])
    endpoint = services.endpoint_create(
        owner=provider, actor=coordinator, url=receiver.url(), events=[CLAIM_CREATED]
    )
    _deliver(endpoint, django_capture_on_commit_callbacks, "claim.created:1")
    page_url = reverse("webhooks:coordinator_endpoint", args=[provider.slug, endpoint.pk])
    response = coordinator_client.post(
        page_url, {"url": receiver.url(), "events": [CLAIM_CREATED], "description": "renamed"}, follow=True
    )
    html = response.content.decode()
    assert "Endpoint saved." in html and "go to the new URL" not in html and "goes to the new URL" not in html
