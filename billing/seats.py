"""Institution seats in billing (issue 18, item 7): what a seats order delivers and what a refund takes
back, the product name, and the coverage a seat gives. Starting the checkout is billing/seat_checkout.py.

A seat is priced as the provider's annual pass (a seat is a pass the institution hands to whoever sits
in it); a provider without a pass price sells no seats. billing.services calls these from its one
fulfilment (``_fulfil``), refund (``order_mark_refunded``) and coverage (``is_covered``) functions.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from credits.calendar_years import add_years
from institutions import selectors as institution_selectors
from institutions import services as institution_services
from institutions.models import Institution, SeatLicence

from .models import Order


def covers(*, learner: User, provider_id: int) -> bool:
    """A current seat at an institution of the provider with a current licence."""
    return institution_selectors.covering_membership(user=learner, provider_id=provider_id) is not None


def _institution(order: Order) -> Institution:
    if order.institution is None or not order.seats:
        raise ValueError(f"Seats order {order.reference} has no institution or seats.")
    return order.institution


def product_name(order: Order) -> str:
    return _("%(seats)s seats for a year — %(institution)s (%(provider)s)") % {
        "seats": order.seats,
        "institution": _institution(order).name,
        "provider": order.provider.name,
    }


def seats_fulfil(order: Order) -> SeatLicence:
    """The paid order becomes a seat licence from now for INSTITUTIONS["LICENCE_YEARS"] (in the
    webhook's transaction; the order is locked)."""
    now = timezone.now()
    return institution_services.licence_grant(
        institution=_institution(order),
        seats=order.seats or 0,
        valid_from=now,
        valid_until=add_years(now, settings.INSTITUTIONS["LICENCE_YEARS"]),
        actor=None,
        order_reference=str(order.reference),
    )


def seats_refunded(order: Order, *, reason: str) -> None:
    """A refunded seats order ends the licence it paid for (members stay; see licence_end)."""
    for licence in SeatLicence.objects.filter(order_reference=str(order.reference), ended_at__isnull=True):
        institution_services.licence_end(licence=licence, actor=None, reason=reason)
