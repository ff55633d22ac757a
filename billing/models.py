"""Prices (per activity, the provider's annual pass), orders with explicit states, passes, Stripe events."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Stripe's own list of currencies without minor units; amounts in them are whole units.
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "krw"})


class Currency(models.TextChoices):
    # A short list on purpose: every one has 0 or 2 decimals in Stripe (no 3-decimal currencies,
    # whose last digit Stripe wants to be 0), so "no fractional cents" means one rule.
    USD = "usd", "USD — US dollar"
    EUR = "eur", "EUR — Euro"
    GBP = "gbp", "GBP — Pound sterling"
    CAD = "cad", "CAD — Canadian dollar"
    AUD = "aud", "AUD — Australian dollar"
    NZD = "nzd", "NZD — New Zealand dollar"
    CHF = "chf", "CHF — Swiss franc"
    SEK = "sek", "SEK — Swedish krona"
    NOK = "nok", "NOK — Norwegian krone"
    DKK = "dkk", "DKK — Danish krone"
    JPY = "jpy", "JPY — Japanese yen"


def currency_exponent(currency: str) -> int:
    return 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2


# Stripe refuses charges below about 0.50 of a currency unit; 50 minor units (or ¥50) for all of ours.
MIN_CHARGE = 50
MAX_CHARGE = 99_999_999  # Stripe's largest amount (8 digits)


class ProviderBilling(models.Model):
    """A provider's currency and its optional annual CME pass (a one-off payment for 12 months)."""

    provider = models.OneToOneField("credits.Provider", on_delete=models.PROTECT, related_name="billing")
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.USD)
    pass_price = models.PositiveIntegerField(
        _("annual pass price (minor units)"),
        null=True,
        blank=True,
        help_text=_("Empty: no pass is sold."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("provider billing")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_price__isnull=True)
                | models.Q(pass_price__gte=MIN_CHARGE, pass_price__lte=MAX_CHARGE),
                name="billing_pass_price_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.currency})"


class ActivityFee(models.Model):
    """The fee for claiming credit for one activity, in the provider's currency; 0 means free."""

    activity = models.OneToOneField("credits.Activity", on_delete=models.PROTECT, related_name="fee")
    amount = models.PositiveIntegerField(_("fee (minor units)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activity fee")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount=0) | models.Q(amount__gte=MIN_CHARGE, amount__lte=MAX_CHARGE),
                name="billing_fee_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.amount}"


class OrderStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Payment being confirmed")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


# The only moves an order can make. A refund can overtake the completion event (Stripe does not
# order deliveries), so a pending order may go straight to refunded; a refunded order never pays.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    # Paid or refunded straight from created: the session's create response was lost, Stripe wasn't.
    OrderStatus.CREATED: frozenset(
        {
            OrderStatus.PENDING,
            OrderStatus.PAID,
            OrderStatus.FAILED,
            OrderStatus.CANCELLED,
            OrderStatus.REFUNDED,
        }
    ),
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.CANCELLED, OrderStatus.REFUNDED}
    ),
    OrderStatus.PAID: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
OPEN_STATUSES = (OrderStatus.CREATED, OrderStatus.PENDING)


class OrderKind(models.TextChoices):
    CLAIM = "claim", _("Credit claim")
    PASS = "pass", _("Annual CME pass")
    SEATS = "seats", _("Institution seats")


class OrderQuerySet(models.QuerySet):
    def open(self) -> "OrderQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def delete(self):
        raise TypeError("Orders are never deleted.")


class Order(models.Model):
    """What a learner pays for: a claim (its minutes and attestation kept here until paid) or a pass."""

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=10, choices=OrderKind.choices)
    provider = models.ForeignKey("credits.Provider", on_delete=models.PROTECT, related_name="orders")
    activity = models.ForeignKey(
        "credits.Activity", on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    amount = models.PositiveIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    # The claim as the learner submitted it; used when the payment is confirmed.
    claim_minutes = models.PositiveIntegerField(null=True, blank=True)
    claim_attested = models.BooleanField(default=False)
    listening_evidence = models.JSONField(default=dict, blank=True)
    # The learner's choices at checkout, checked by credits.services.claim_check before the session
    # and passed as they are to claim_credit when the payment is confirmed: the boards to report the
    # completion to for MOC ({board: board id}), the further credit types ticked (a list; null: every
    # type the learner's profession may claim, as for orders made before the choice existed), and
    # when the learner made them (the MOC consent time stored with the claim, not the webhook's).
    claim_moc_optins = models.JSONField(_("MOC opt-ins"), default=dict, blank=True)
    claim_credit_kinds = models.JSONField(_("credit types chosen"), null=True, blank=True)
    claim_choices_at = models.DateTimeField(_("choices made at"), null=True, blank=True)
    claim = models.OneToOneField(
        "credits.CreditClaim", on_delete=models.PROTECT, null=True, blank=True, related_name="order"
    )
    # A seats order (issue 18): the institution's admin (``learner``) buys ``seats`` seats for a year;
    # paid, it becomes an institutions.SeatLicence with this order's reference (billing/seats.py).
    institution = models.ForeignKey(
        "institutions.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    fulfilment_error = models.CharField(max_length=500, blank=True)
    stripe_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    receipt_url = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("order")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OrderStatus.values), name="billing_order_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["pass", "seats"]) | models.Q(activity__isnull=False),
                name="billing_claim_order_has_activity",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="seats") | models.Q(institution__isnull=False, seats__gte=1),
                name="billing_seats_order_has_institution",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=MIN_CHARGE), name="billing_order_amount"),
            # One live order per claim: a double submit reuses it, and nobody pays twice for one claim.
            models.UniqueConstraint(
                fields=["learner", "activity"],
                condition=models.Q(kind="claim", status__in=["created", "pending", "paid"]),
                name="billing_one_live_order_per_claim",
            ),
            models.UniqueConstraint(
                fields=["learner", "provider"],
                condition=models.Q(kind="pass", status__in=["created", "pending"]),
                name="billing_one_open_pass_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """Stable for this order: a retried request gets Stripe's first answer, never a second session."""
        return f"podcastcme-order-{self.reference}-checkout"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def delete(self, *args, **kwargs):
        raise TypeError("Orders are never deleted.")


class CmePassQuerySet(models.QuerySet):
    def valid(self, at=None) -> "CmePassQuerySet":
        at = at or timezone.now()
        return self.filter(valid_from__lte=at, valid_until__gt=at, ended_at__isnull=True)


class CmePass(models.Model):
    """A learner's annual pass for one provider: claims of its activities are free while it is valid."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cme_passes")
    provider = models.ForeignKey("credits.Provider", on_delete=models.PROTECT, related_name="cme_passes")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="cme_pass")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text=_("Set when the pass is refunded."))

    objects = CmePassQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("CME pass")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gt=models.F("valid_from")), name="billing_pass_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} @ {self.provider} until {self.valid_until:%Y-%m-%d}"

    @property
    def is_valid(self) -> bool:
        return self.ended_at is None and self.valid_from <= timezone.now() < self.valid_until


class StripeEvent(models.Model):
    """Every verified webhook delivery, stored by Stripe's event id before acting on it."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type}"
