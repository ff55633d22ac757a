"""Admin: read-mostly views of orders, passes and received Stripe events (states change via services)."""

from django.contrib import admin

from .models import ActivityFee, CmePass, Order, ProviderBilling, StripeEvent


@admin.register(ProviderBilling)
class ProviderBillingAdmin(admin.ModelAdmin):
    list_display = ["provider", "currency", "pass_price", "updated_at"]


@admin.register(ActivityFee)
class ActivityFeeAdmin(admin.ModelAdmin):
    list_display = ["activity", "amount", "updated_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["reference", "kind", "learner", "provider", "activity", "amount", "currency", "status"]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["reference", "learner__email", "stripe_session_id", "stripe_payment_intent"]
    # Order states move only through billing.services, which audits each move.
    readonly_fields = [f.name for f in Order._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CmePass)
class CmePassAdmin(admin.ModelAdmin):
    list_display = ["learner", "provider", "valid_from", "valid_until", "ended_at"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type"]
    readonly_fields = ["stripe_id", "type", "payload", "received_at", "processed_at", "outcome"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
