"""Buying seats: an institution admin's Stripe Checkout becomes a seat licence; a refund ends it."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from billing import services as billing_services
from billing.models import Order
from billing.seat_checkout import seats_checkout_start
from billing.services import BillingError
from institutions.models import SeatLicence
from institutions.selectors import seat_use
from testkit.mfa import mfa_login
from testkit.payments import post_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def seats_sold(provider, coordinator, stripe_fake):
    """The provider sells its annual pass at 199.00 USD: one seat for a year costs the same."""
    billing_services.provider_billing_set(
        provider=provider, actor=coordinator, currency="usd", pass_price=19900
    )
    return stripe_fake


def test_a_paid_seats_order_becomes_a_licence_and_a_refund_ends_it(institution, inst_admin, seats_sold):
    order = seats_checkout_start(admin=inst_admin, institution=institution, seats=10)
    assert order.kind == "seats" and order.status == "pending" and order.amount == 10 * 19900
    form = seats_sold.created_sessions()[0]["form"]
    assert form["line_items[0][price_data][unit_amount]"] == str(10 * 19900)
    assert "10 seats" in form["line_items[0][price_data][product_data][name]"]
    assert seat_use(institution).bought == 0  # nothing until Stripe confirms

    body = seats_sold.event("checkout.session.completed", seats_sold.pay(order.stripe_session_id))
    assert post_event(body).status_code == 200
    licence = SeatLicence.objects.get(institution=institution)
    assert licence.seats == 10 and licence.order_reference == str(order.reference)
    assert (licence.valid_until - licence.valid_from).days in (365, 366)
    assert seat_use(institution).bought == 10
    assert AuditEvent.objects.filter(action="seat_licence.bought", object_id=str(licence.pk)).count() == 1
    # The same event again (Stripe retries) delivers nothing twice.
    assert post_event(body).status_code == 200
    assert SeatLicence.objects.filter(institution=institution).count() == 1

    post_event(seats_sold.event("charge.refunded", seats_sold.refund(order.stripe_session_id)))
    licence.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "refunded" and licence.ended_at is not None
    assert seat_use(institution).bought == 0
    assert AuditEvent.objects.filter(action="seat_licence.ended", object_id=str(licence.pk)).count() == 1


@pytest.mark.parametrize("seats", [0, -1, 5001, "3", 2.5, True, None])
def test_a_bad_number_of_seats_is_refused_and_nothing_is_written(institution, inst_admin, seats_sold, seats):
    with pytest.raises(BillingError) as refused:
        seats_checkout_start(admin=inst_admin, institution=institution, seats=seats)
    assert refused.value.code == "invalid_seats"
    assert not Order.objects.exists() and not seats_sold.created_sessions()


def test_more_than_one_payment_can_carry_is_refused(
    institution, inst_admin, provider, coordinator, stripe_fake
):
    billing_services.provider_billing_set(
        provider=provider, actor=coordinator, currency="usd", pass_price=9_000_000
    )
    with pytest.raises(BillingError) as refused:
        seats_checkout_start(admin=inst_admin, institution=institution, seats=12)
    assert refused.value.code == "invalid_seats" and "at most 11 seats" in refused.value.message
    assert not Order.objects.exists()


def test_only_the_institutions_admin_may_buy(institution, learner, seats_sold):
    with pytest.raises(BillingError) as refused:
        seats_checkout_start(admin=learner, institution=institution, seats=5)
    assert refused.value.code == "forbidden"
    assert not Order.objects.exists()


def test_no_seats_are_sold_without_a_pass_price(institution, inst_admin, stripe_fake):
    with pytest.raises(BillingError) as refused:
        seats_checkout_start(admin=inst_admin, institution=institution, seats=5)
    assert refused.value.code == "no_seats_sold"


def test_a_second_submit_reuses_the_open_order(institution, inst_admin, seats_sold):
    first = seats_checkout_start(admin=inst_admin, institution=institution, seats=4)
    again = seats_checkout_start(admin=inst_admin, institution=institution, seats=4)
    assert first.pk == again.pk and len(seats_sold.created_sessions()) == 1


def test_the_order_page_names_the_seats(client, institution, inst_admin, seats_sold):
    order = seats_checkout_start(admin=inst_admin, institution=institution, seats=4)
    client.force_login(inst_admin)
    page = client.get(reverse("billing:order", args=[order.reference])).content.decode()
    assert "4 seats" in page and institution.name in page
    history = client.get(reverse("billing:history")).content.decode()
    assert "4 seats" in history


# --- The Buy seats page ---------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, inst_admin):
    mfa_login(client, inst_admin)
    return client


def test_the_admin_buys_seats_from_the_page(admin_client, institution, seats_sold):
    url = reverse("billing:seats_buy", args=[institution.slug])
    page = admin_client.get(url).content.decode()
    assert "199.00 USD" in page and 'name="seats"' in page
    response = admin_client.post(url, {"seats": "12"})
    order = Order.objects.get(kind="seats")
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    assert order.seats == 12 and order.amount == 12 * 19900 and order.institution == institution


@pytest.mark.parametrize("seats", ["0", "-5", "", "ten", "1.5", "5001", "9" * 30])
def test_bad_numbers_on_the_page_are_refused(admin_client, institution, seats_sold, seats):
    response = admin_client.post(reverse("billing:seats_buy", args=[institution.slug]), {"seats": seats})
    assert response.status_code == 400
    assert not Order.objects.exists() and not seats_sold.created_sessions()


def test_the_page_says_when_no_seats_are_sold(admin_client, institution, stripe_fake):
    response = admin_client.get(reverse("billing:seats_buy", args=[institution.slug]))
    assert response.status_code == 409 and "does not sell seats" in response.content.decode()
    assert (
        admin_client.post(reverse("billing:seats_buy", args=[institution.slug]), {"seats": "3"}).status_code
        == 409
    )
    assert not Order.objects.exists()


def test_anonymous_is_sent_to_log_in(client, institution, seats_sold):
    response = client.post(reverse("billing:seats_buy", args=[institution.slug]), {"seats": "3"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Order.objects.exists()
