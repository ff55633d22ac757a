"""Reads for payments: what a claim costs this learner, their history and passes, a provider's revenue."""

import dataclasses
import uuid

from django.db.models import Count, Q, Sum

from accounts.models import User
from credits.models import Activity, Provider
from institutions.models import Membership
from institutions.selectors import covering_membership

from .gateway import payments_enabled
from .models import ActivityFee, CmePass, Order, OrderKind, OrderStatus, ProviderBilling
from .money import format_amount


@dataclasses.dataclass
class ClaimPrice:
    """What the claim page says about paying: nothing, the fee, or that a pass covers it."""

    amount: int = 0
    currency: str = "usd"
    covered_by_pass: CmePass | None = None
    covered_by_seat: Membership | None = None  # a seat at an institution of the provider (seats.py)
    open_order: Order | None = None
    pass_price: int | None = None
    provider: Provider | None = None

    @property
    def charged(self) -> bool:
        return self.amount > 0 and self.covered_by_pass is None and self.covered_by_seat is None

    @property
    def display(self) -> str:
        return format_amount(self.amount, self.currency)

    @property
    def pass_display(self) -> str:
        return format_amount(self.pass_price, self.currency) if self.pass_price else ""


def claim_price(*, learner: User, activity: Activity) -> ClaimPrice:
    if not payments_enabled():
        return ClaimPrice()
    fee = ActivityFee.objects.filter(activity=activity).first()
    billing = ProviderBilling.objects.filter(provider_id=activity.provider_id).first()
    price = ClaimPrice(
        amount=fee.amount if fee else 0,
        currency=billing.currency if billing else "usd",
        pass_price=billing.pass_price if billing else None,
        provider=activity.provider,
    )
    if price.amount and learner.is_authenticated:
        price.covered_by_pass = (
            CmePass.objects.valid().filter(learner=learner, provider_id=activity.provider_id).first()
        )
        if price.covered_by_pass is None:
            price.covered_by_seat = covering_membership(user=learner, provider_id=activity.provider_id)
        price.open_order = (
            Order.objects.open().filter(learner=learner, activity=activity, kind=OrderKind.CLAIM).first()
        )
    return price


def learner_order(*, learner: User, reference: str | uuid.UUID) -> Order | None:
    """One of the learner's own orders; another learner's reference finds nothing."""
    return (
        Order.objects.select_related("activity", "provider", "claim", "institution")
        .filter(learner=learner, reference=reference)
        .first()
    )


def learner_orders(*, learner: User) -> list[Order]:
    return list(Order.objects.filter(learner=learner).select_related("activity", "provider", "institution"))


def learner_passes(*, learner: User) -> list[CmePass]:
    return list(CmePass.objects.filter(learner=learner).select_related("provider", "order"))


def provider_orders(*, provider: Provider, limit: int = 200) -> list[Order]:
    return list(
        Order.objects.filter(provider=provider).select_related("activity", "learner", "institution")[:limit]
    )


@dataclasses.dataclass
class RevenueRow:
    label: str
    paid_count: int
    refunded_count: int
    revenue: str


def provider_revenue(*, provider: Provider) -> list[RevenueRow]:
    """Money kept per activity (and for passes): paid orders count, refunded ones are listed apart."""
    billing = ProviderBilling.objects.filter(provider=provider).first()
    currency = billing.currency if billing else "usd"
    rows = (
        Order.objects.filter(provider=provider)
        .values("kind", "activity_id", "activity__title", "currency")
        .annotate(
            paid=Count("id", filter=Q(status=OrderStatus.PAID)),
            refunded=Count("id", filter=Q(status=OrderStatus.REFUNDED)),
            revenue=Sum("amount", filter=Q(status=OrderStatus.PAID)),
        )
        .order_by("kind", "activity__title")
    )
    return [
        RevenueRow(
            label=row["activity__title"] or str(OrderKind.PASS.label),
            paid_count=row["paid"],
            refunded_count=row["refunded"],
            revenue=format_amount(row["revenue"] or 0, row["currency"] or currency),
        )
        for row in rows
        if row["paid"] or row["refunded"]
    ]
