"""Writes of outgoing webhooks: endpoints (created, changed, disabled, enabled, secret rotated; each
audited) and the deliveries an event makes (one per subscribed endpoint, once)."""

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from credits.models import Certificate, CreditClaim, Provider
from episodes.models import Show

from . import payloads
from .audit_actions import WebhookAction
from .models import (
    CERTIFICATE_ISSUED,
    CERTIFICATE_REVOKED,
    CLAIM_CREATED,
    PROVIDER_EVENTS,
    SHOW_EVENTS,
    WebhookDelivery,
    WebhookEndpoint,
)
from .signing import new_secret
from .tasks import deliver_webhook, lease_seconds
from .url_ports import url_port_problem

logger = logging.getLogger(__name__)


def events_for(owner: Provider | Show) -> tuple[str, ...]:
    return PROVIDER_EVENTS if isinstance(owner, Provider) else SHOW_EVENTS


def _check_events(owner: Provider | Show, events: list[str]) -> list[str]:
    allowed = events_for(owner)
    chosen = [event for event in allowed if event in events]  # in the documented order, no repeats
    if not chosen or len(set(events)) != len(chosen):
        raise ValidationError({"events": _("Choose at least one of the events offered.")})
    return chosen


def check_url_port(url: str) -> None:
    problem = url_port_problem(url)
    if problem:
        raise ValidationError({"url": problem})


# --- Endpoints -----------------------------------------------------------------------------------


def endpoint_create(
    *, owner: Provider | Show, actor: User, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    """A new active endpoint with a new secret (shown to ``actor`` once, by the caller)."""
    check_url_port(url)
    endpoint = WebhookEndpoint(
        provider=owner if isinstance(owner, Provider) else None,
        show=owner if isinstance(owner, Show) else None,
        url=url,
        description=description,
        events=_check_events(owner, events),
        secret=new_secret(),
        created_by=actor,
    )
    endpoint.full_clean()
    with transaction.atomic():
        endpoint.save()
        audit_record(
            actor=actor,
            action=WebhookAction.ENDPOINT_CREATED,
            obj=endpoint,
            data={"url": endpoint.url, "events": endpoint.events, "owner": _owner_label(endpoint)},
        )
    return endpoint


def _owner_label(endpoint: WebhookEndpoint) -> str:
    return f"provider:{endpoint.provider_id}" if endpoint.provider_id else f"show:{endpoint.show_id}"


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User, url: str, events: list[str], description: str
) -> WebhookEndpoint:
    check_url_port(url)
    with transaction.atomic():
        endpoint = _locked(endpoint)
        new = {"url": url, "events": _check_events(endpoint.owner, events), "description": description}
        changes = {
            field: {"old": getattr(endpoint, field), "new": value}
            for field, value in new.items()
            if getattr(endpoint, field) != value
        }
        if not changes:
            return endpoint
        for field, value in new.items():
            setattr(endpoint, field, value)
        endpoint.full_clean()
        endpoint.save()
        audit_record(actor=actor, action=WebhookAction.ENDPOINT_CHANGED, obj=endpoint, data=changes)
    return endpoint


def endpoint_disable(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """No more deliveries: new events make none, pending ones are not sent (they stay pending and
    go out if it is enabled again)."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        if not endpoint.is_active:
            return endpoint
        endpoint.is_active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_by = WebhookEndpoint.DisabledBy.OWNER
        endpoint.save(update_fields=["is_active", "disabled_at", "disabled_by", "updated_at"])
        audit_record(actor=actor, action=WebhookAction.ENDPOINT_DISABLED, obj=endpoint)
    return endpoint


def endpoint_enable(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """Active again, its failure count back to zero; deliveries still pending go out again.
    Refused (ValidationError, nothing written) while its URL names a port the rule refuses (an
    endpoint saved before the rule): its owner changes the URL first."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        if endpoint.is_active:
            return endpoint
        problem = url_port_problem(endpoint.url)
        if problem:
            raise ValidationError(
                {"url": _("%(problem)s Change the URL, then enable the endpoint.") % {"problem": problem}}
            )
        was = endpoint.disabled_by
        endpoint.is_active, endpoint.disabled_at, endpoint.disabled_by = True, None, ""
        endpoint.consecutive_failures = 0
        endpoint.save(
            update_fields=["is_active", "disabled_at", "disabled_by", "consecutive_failures", "updated_at"]
        )
        audit_record(actor=actor, action=WebhookAction.ENDPOINT_ENABLED, obj=endpoint, data={"was": was})
        WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """A new secret at once (the old one signs nothing more); the caller shows it once."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.secret = new_secret()
        endpoint.secret_rotated_at = timezone.now()
        endpoint.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
        audit_record(actor=actor, action=WebhookAction.SECRET_ROTATED, obj=endpoint)
    return endpoint


# --- Events become deliveries --------------------------------------------------------------------


def subscribed(event: str, **owner: Any) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True, **owner).order_by("pk")
        if event in endpoint.events
    ]


def deliveries_create(
    *, event: str, event_key: str, data: dict[str, Any], endpoints: list[WebhookEndpoint]
) -> list[WebhookDelivery]:
    """One delivery per endpoint, each sent by a task after the commit; an endpoint that already has
    this event (``event_key``) gets nothing new."""
    made: list[WebhookDelivery] = []
    for endpoint in endpoints:
        # Due once the lease has passed: if the task enqueued after the commit is lost, the sweep
        # sends the first attempt then (a task that did run has claimed it, and the sweep skips it).
        delivery = WebhookDelivery(
            endpoint=endpoint,
            event_type=event,
            event_key=event_key,
            payload={},
            next_attempt_at=timezone.now() + timedelta(seconds=lease_seconds()),
        )
        delivery.payload = {
            "id": str(delivery.uuid),
            "type": event,
            "created_at": payloads.iso(delivery.created_at),
            "data": data,
        }
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:  # this event reached the endpoint already (a listener called twice)
            continue
        made.append(delivery)
    for delivery in made:
        transaction.on_commit(partial(deliver_webhook.enqueue, delivery.pk, 1), robust=True)
    return made


def on_credit_event(event: str, object_id: int) -> None:
    """credits.events listener (after the commit): claim.created, certificate.issued or .revoked.
    One query when the provider has no endpoint for the event (the usual case)."""
    if event == CLAIM_CREATED:
        endpoints = subscribed(event, provider__activities__claims=object_id)
    elif event in (CERTIFICATE_ISSUED, CERTIFICATE_REVOKED):
        endpoints = subscribed(event, provider__activities__claims__certificate=object_id)
    else:
        return
    if not endpoints:
        return
    if event == CLAIM_CREATED:
        claim = CreditClaim.objects.select_related("activity__provider", "learner__profile").get(pk=object_id)
        data = payloads.claim_data(claim)
    else:
        certificate = Certificate.objects.select_related("claim__activity__provider", "claim__learner").get(
            pk=object_id
        )
        data = payloads.certificate_data(certificate)
    with transaction.atomic():
        deliveries_create(event=event, event_key=f"{event}:{object_id}", data=data, endpoints=endpoints)
