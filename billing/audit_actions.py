"""The audit actions of payments: every action string this app writes, in one place."""

from audit.actions import AuditActions

from .models import OrderStatus


class BillingAction(AuditActions):
    FEE_SET = "fee.set"
    BILLING_SET = "billing.set"

    # An order's moves along ORDER_TRANSITIONS: one per status it can reach (see ORDER_MOVED_TO).
    ORDER_CREATED = "order.created"
    ORDER_PENDING = "order.pending"
    ORDER_PAID = "order.paid"
    ORDER_FAILED = "order.failed"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REFUNDED = "order.refunded"
    # A claim order submitted again before it is paid: the minutes or choices it will claim changed.
    ORDER_CLAIM_CHANGED = "order.claim_changed"
    # What the webhook records without moving the order.
    ORDER_FULFILMENT_FAILED = "order.fulfilment_failed"
    ORDER_AMOUNT_MISMATCH = "order.amount_mismatch"
    ORDER_PAID_AFTER_CLOSE = "order.paid_after_close"

    PASS_STARTED = "pass.started"
    PASS_ENDED = "pass.ended"


# The action order_move writes, by the status the order moved to ("order.<status>", as stored
# before these were constants). tests/billing/test_audit_actions.py checks that every status has one.
ORDER_MOVED_TO: dict[str, str] = {
    OrderStatus.CREATED: BillingAction.ORDER_CREATED,
    OrderStatus.PENDING: BillingAction.ORDER_PENDING,
    OrderStatus.PAID: BillingAction.ORDER_PAID,
    OrderStatus.FAILED: BillingAction.ORDER_FAILED,
    OrderStatus.CANCELLED: BillingAction.ORDER_CANCELLED,
    OrderStatus.REFUNDED: BillingAction.ORDER_REFUNDED,
}
