"""The audit actions of outgoing webhooks: every action string this app writes."""

from audit.actions import AuditActions


class WebhookAction(AuditActions):
    # data: the URL and events (created); {"old", "new"} of the fields changed (changed).
    ENDPOINT_CREATED = "webhook_endpoint.created"
    ENDPOINT_CHANGED = "webhook_endpoint.changed"
    ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    ENDPOINT_ENABLED = "webhook_endpoint.enabled"
    # The system's: after PODCASTCME_WEBHOOKS_DISABLE_AFTER deliveries given up in a row.
    ENDPOINT_AUTO_DISABLED = "webhook_endpoint.auto_disabled"
    SECRET_ROTATED = "webhook_endpoint.secret_rotated"
    # The system's: the last attempt failed; data: attempts, last status, last error.
    DELIVERY_GIVEN_UP = "webhook_delivery.given_up"
