"""Delivering webhooks through the task queue: one task run is one attempt of one delivery.

An attempt is claimed atomically before anything is sent (a conditional UPDATE from "attempt n-1
done" to "attempt n under way"), so two workers never send the same attempt; while it is under
way, ``next_attempt_at`` is a lease after which the sweep counts it as lost and tries again (same
delivery id: the receiver deduplicates). A failure (timeout, no connection, refused address, any
answer but 2xx, a redirect included) is tried again after PODCASTCME_WEBHOOKS_RETRY_DELAYS; after the
last one the delivery is given up (audited), and PODCASTCME_WEBHOOKS_DISABLE_AFTER deliveries given
up in a row disable the endpoint and email its owners. The HTTP request is never inside a
transaction. docs/webhooks.md.
"""

import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.mail import email_queue
from accounts.models import User
from audit.services import audit_record

from .audit_actions import WebhookAction
from .delivery import Answer, DeliveryError, post
from .models import WebhookDelivery, WebhookEndpoint
from .signing import signature

logger = logging.getLogger(__name__)


def retry_delays() -> list[int]:
    return [int(seconds) for seconds in settings.PODCASTCME_WEBHOOKS_RETRY_DELAYS]


def max_attempts() -> int:
    return len(retry_delays()) + 1


def lease_seconds() -> float:
    return float(settings.PODCASTCME_WEBHOOKS_TIMEOUT_SECONDS) * 3 + 60


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the stored payload, serialised the same way on every attempt."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _claim(delivery_id: int, attempt: int, now: datetime) -> bool:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    if attempt == 1:  # the first is due at once; its next_attempt_at is when the sweep takes over
        due = Q()
    # Every condition is on the delivery row itself. A condition through the endpoint
    # (``endpoint__is_active``) makes Django write ``WHERE id IN (SELECT ... JOIN ...)``, and
    # PostgreSQL, after waiting for another worker's lock, re-checks only the outer WHERE, not the
    # subquery's snapshot: several workers then all "claimed" the same attempt.
    active_endpoints = WebhookEndpoint.objects.filter(is_active=True).values("pk")
    claimed = WebhookDelivery.objects.filter(
        due,
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        attempts=attempt - 1,
        endpoint_id__in=active_endpoints,
    ).update(
        attempts=attempt,
        last_attempt_at=now,
        next_attempt_at=now + timedelta(seconds=lease_seconds()),
    )
    return claimed == 1


def attempt_delivery(delivery_id: int, attempt: int) -> str:
    """Make attempt number ``attempt`` of the delivery, if it is still due and nobody else took it:
    "delivered", "retry", "failed" or "skipped"."""
    now = timezone.now()
    if not _claim(delivery_id, attempt, now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = body_of(delivery)
    timestamp = int(timezone.now().timestamp())
    message_id = str(delivery.uuid)
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=endpoint.secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
    answer: Answer | None = None
    error = ""
    try:
        answer = post(
            endpoint.url,
            body=body,
            headers=headers,
            timeout=float(settings.PODCASTCME_WEBHOOKS_TIMEOUT_SECONDS),
        )
    except DeliveryError as failure:
        error = str(failure)
    if answer is not None and answer.ok:
        return _delivered(delivery, attempt, answer)
    if answer is not None:
        redirect = " (a redirect: not followed)" if 300 <= answer.status < 400 else ""
        error = f"HTTP {answer.status}{redirect}"
    return _failed(delivery, attempt, answer, error)


def _delivered(delivery: WebhookDelivery, attempt: int, answer: Answer) -> str:
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
            response_status=answer.status,
            response_excerpt=answer.excerpt,
            last_error="",
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
    return "delivered"


def _failed(delivery: WebhookDelivery, attempt: int, answer: Answer | None, error: str) -> str:
    now = timezone.now()
    outcome = {
        "response_status": answer.status if answer is not None else None,
        "response_excerpt": answer.excerpt if answer is not None else "",
        "last_error": error[:500],
    }
    if attempt < max_attempts():
        due = now + timedelta(seconds=retry_delays()[attempt - 1])
        WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
            next_attempt_at=due, **outcome
        )
        if deliver_webhook.get_backend().supports_defer:
            deliver_webhook.using(run_after=due).enqueue(delivery.pk, attempt + 1)
        # Otherwise (the immediate backend) the sweep, ``deliveries_send_due``, sends it when due.
        logger.info("Webhook %s: attempt %d failed (%s); next at %s.", delivery.uuid, attempt, error, due)
        return "retry"
    with transaction.atomic():
        given_up = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
            status=WebhookDelivery.Status.FAILED, failed_at=now, next_attempt_at=None, **outcome
        )
        if not given_up:
            return "skipped"
        audit_record(
            actor=None,
            action=WebhookAction.DELIVERY_GIVEN_UP,
            obj=delivery,
            data={"attempts": attempt, "response_status": outcome["response_status"], "error": error[:200]},
        )
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        endpoint.consecutive_failures = F("consecutive_failures") + 1
        endpoint.save(update_fields=["consecutive_failures"])
        endpoint.refresh_from_db(fields=["consecutive_failures"])
        limit = int(settings.PODCASTCME_WEBHOOKS_DISABLE_AFTER)
        if endpoint.is_active and limit > 0 and endpoint.consecutive_failures >= limit:
            endpoint.is_active = False
            endpoint.disabled_at = now
            endpoint.disabled_by = WebhookEndpoint.DisabledBy.FAILURES
            endpoint.save(update_fields=["is_active", "disabled_at", "disabled_by", "updated_at"])
            audit_record(
                actor=None,
                action=WebhookAction.ENDPOINT_AUTO_DISABLED,
                obj=endpoint,
                data={"consecutive_failures": endpoint.consecutive_failures},
            )
            transaction.on_commit(lambda: _email_disabled(endpoint.pk), robust=True)
    logger.warning("Webhook %s: given up after %d attempts (%s).", delivery.uuid, attempt, error)
    return "failed"


def endpoint_owners(endpoint: WebhookEndpoint) -> list[User]:
    """Who manages the endpoint: its provider's coordinators, or its show's hosts."""
    if endpoint.provider_id is not None:
        users = User.objects.filter(coordinator_memberships__provider_id=endpoint.provider_id)
    else:
        assert endpoint.show_id is not None  # a database constraint: a provider or a show
        users = User.objects.filter(host_memberships__show_id=endpoint.show_id)
    return list(users.filter(is_active=True).exclude(email="").order_by("pk"))


def endpoint_page_url(endpoint: WebhookEndpoint) -> str:
    if endpoint.provider_id is not None:
        assert endpoint.provider is not None
        path = reverse("webhooks:coordinator_endpoint", args=[endpoint.provider.slug, endpoint.pk])
    else:
        assert endpoint.show is not None
        path = reverse("webhooks:host_endpoint", args=[endpoint.show.slug, endpoint.pk])
    return settings.SITE_URL + path


def _email_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("provider", "show").get(pk=endpoint_id)
    recipients = [user.email for user in endpoint_owners(endpoint)]
    if not recipients:
        return
    context = {
        "endpoint": endpoint,
        "owner": endpoint.owner,
        "failures": endpoint.consecutive_failures,
        "page_url": endpoint_page_url(endpoint),
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("A webhook endpoint was disabled after failed deliveries"),
        body=render_to_string("webhooks/email/endpoint_disabled.txt", context),
        to=recipients,
    )
    message.attach_alternative(
        render_to_string("webhooks/email/endpoint_disabled.html", context), "text/html"
    )
    email_queue(message=message, kind="webhooks/email/endpoint_disabled")


@task()
def deliver_webhook(delivery_id: int, attempt: int) -> str:
    """One attempt of one delivery (run by the worker, outside any transaction)."""
    return attempt_delivery(delivery_id, attempt)


def deliveries_send_due(*, limit: int = 500) -> int:
    """Enqueue the next attempt of every pending delivery that is due (a retry whose time came, an
    attempt whose worker was lost, an endpoint enabled again); how many. The worker's sweep and
    ``manage.py webhooks_send_due``; with the immediate backend it sends them at once."""
    now = timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "attempts")[:limit]
    )
    for pk, attempts in due:
        deliver_webhook.enqueue(pk, attempts + 1)
    return len(due)
