"""Starting an institution's seat purchase: the admin's Order (kind seats), then its Checkout Session.

Kept apart from billing/seats.py because it calls billing.services (order_checkout), which calls
billing/seats.py for fulfilment: one module each way, no import cycle.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.models import User
from audit.services import audit_record
from institutions import selectors as institution_selectors
from institutions.errors import InstitutionError
from institutions.models import Institution
from institutions.services import check_seats

from .audit_actions import BillingAction
from .gateway import payments_enabled
from .models import MAX_CHARGE, Order, OrderKind, OrderStatus, ProviderBilling
from .services import BillingError, order_checkout


def seat_price(institution: Institution) -> tuple[int, str] | None:
    """(price of one seat for a year, currency), or None when the provider sells no seats."""
    billing = ProviderBilling.objects.filter(provider_id=institution.provider_id).first()
    if not payments_enabled() or billing is None or not billing.pass_price:
        return None
    return billing.pass_price, billing.currency


def seats_checkout_start(*, admin: User, institution: Institution, seats: object) -> Order:
    """An institution admin buys ``seats`` seats for a year. Refused (BillingError) for someone who
    is not the institution's admin, a number that is not 1..the limit, a total Stripe cannot charge,
    or a provider that sells no seats. A second submit of the same number while its order is open
    reuses that order and its session."""
    if not institution_selectors.is_institution_admin(institution=institution, user=admin):
        raise BillingError(_("Only the institution's admins can buy seats."), code="forbidden")
    try:  # the licence's own rule, before any money moves
        seats = check_seats(seats)
    except InstitutionError as error:
        raise BillingError(error.message, code=error.code) from None
    price = seat_price(institution)
    if price is None:
        raise BillingError(_("This provider does not sell seats."), code="no_seats_sold")
    unit, currency = price
    amount = unit * seats
    if amount > MAX_CHARGE:
        raise BillingError(
            _("That is more than one payment can carry: buy at most %(n)s seats at a time.")
            % {"n": MAX_CHARGE // unit},
            code="invalid_seats",
        )
    with transaction.atomic():
        lock_learner(admin.pk)  # the buyer's row first, as for every order
        order = (
            Order.objects.open()
            .filter(learner=admin, institution=institution, kind=OrderKind.SEATS, seats=seats, amount=amount)
            .first()
        )
        if order is None:
            order = Order.objects.create(
                learner=admin,
                kind=OrderKind.SEATS,
                provider_id=institution.provider_id,
                institution=institution,
                seats=seats,
                amount=amount,
                currency=currency,
                status=OrderStatus.CREATED,
            )
            audit_record(
                actor=admin,
                action=BillingAction.ORDER_CREATED,
                obj=order,
                data={
                    "kind": order.kind,
                    "institution": institution.slug,
                    "seats": seats,
                    "amount": amount,
                    "currency": currency,
                },
            )
    return order_checkout(order=order)
