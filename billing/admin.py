"""Admin: read-only views of fees, prices, orders, passes and received Stripe events.

Each of these changes only through billing.services, which audits every change (issue 12: the admin
is not a back door); each page says where the change is made instead."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from credits.admin import ReadOnlyRecordAdmin

from .models import ActivityFee, CmePass, Order, ProviderBilling, StripeEvent


@admin.register(ProviderBilling)
class ProviderBillingAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: a provider's currency and CME pass price are set by its coordinators on "
        "Coordinator → the provider → CME pass, which writes the audit trail."
    )
    list_display = ["provider", "currency", "pass_price", "updated_at"]


@admin.register(ActivityFee)
class ActivityFeeAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: an activity's fee is set by the provider's coordinators on Coordinator → the "
        "activity → Fee, which writes the audit trail."
    )
    list_display = ["activity", "amount", "updated_at"]


@admin.register(Order)
class OrderAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: an order's state moves only with Stripe's confirmation, a refund or the "
        "learner's cancellation, each audited. Coordinators see their orders on Coordinator → Orders."
    )
    list_display = ["reference", "kind", "learner", "provider", "activity", "amount", "currency", "status"]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["reference", "learner__email", "stripe_session_id", "stripe_payment_intent"]


@admin.register(CmePass)
class CmePassAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: a pass starts when its order is paid and ends when it is refunded, each audited."
    )
    list_display = ["learner", "provider", "valid_from", "valid_until", "ended_at"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyRecordAdmin):
    where_to_change = _("Read-only here: the events Stripe sent, stored once each as they arrived.")
    list_display = ["stripe_id", "type", "received_at", "processed_at", "outcome"]
    list_filter = ["type"]
