"""Reads of outgoing webhooks for their pages: an owner's endpoints, an endpoint's recent deliveries."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from credits.models import Provider
from episodes.models import Show

from .models import WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


def owner_filter(owner: Provider | Show) -> dict[str, Provider | Show]:
    return {"provider": owner} if isinstance(owner, Provider) else {"show": owner}


def endpoints_of(owner: Provider | Show) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(**owner_filter(owner)).order_by("-is_active", "-created_at", "-id")


def endpoint_of_or_404(owner: Provider | Show, pk: int) -> WebhookEndpoint:
    """The endpoint, if it is the owner's; another owner's does not exist here (404)."""
    return get_object_or_404(endpoints_of(owner).select_related("provider", "show"), pk=pk)


def recent_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")[
        :RECENT_DELIVERIES
    ]


def pending_count(endpoint: WebhookEndpoint) -> int:
    """Deliveries still to be sent to the endpoint: their next attempts go to its current URL."""
    return WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).count()
