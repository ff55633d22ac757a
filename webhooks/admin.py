"""Read-only admin for webhook endpoints and deliveries: changes go through the owners' pages (and
their services, which audit them); the secret is never shown here."""

from django.contrib import admin

from .models import WebhookDelivery, WebhookEndpoint


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ("url", "provider", "show", "is_active", "consecutive_failures", "created_at")
    list_filter = ("is_active",)
    exclude = ("secret",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ("uuid", "event_type", "endpoint", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event_type")
    list_select_related = ("endpoint",)
