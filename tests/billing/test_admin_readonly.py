"""Issue 12, finding 12: fees, prices, orders, passes and Stripe events are read-only in the Django
admin (they change only through billing.services, which audits each change); each page says where
the change is made."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from billing import services
from billing.models import ActivityFee, CmePass, Order, ProviderBilling, StripeEvent
from testkit.admin_pages import admin_url, assert_read_only_in_admin, stored
from testkit.mfa import mfa_login


@pytest.fixture
def admin_client(client, make_user):
    mfa_login(client, make_user("root@example.org", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def billing_rows(fee, activity, learner, coordinator):
    services.provider_billing_set(
        provider=activity.provider, actor=coordinator, currency="usd", pass_price=9900
    )
    now = timezone.now()
    order = Order.objects.create(
        learner=learner, kind="pass", provider=activity.provider, amount=9900, currency="usd", status="paid"
    )
    CmePass.objects.create(
        learner=learner,
        provider=activity.provider,
        order=order,
        valid_from=now,
        valid_until=now + datetime.timedelta(days=365),
    )
    StripeEvent.objects.create(stripe_id="evt_1", type="checkout.session.completed", payload={"id": "evt_1"})


@pytest.mark.parametrize(
    ("model", "note"),
    [
        (
            ActivityFee,
            "an activity's fee is set by the provider's coordinators on Coordinator → the activity → Fee",
        ),
        (ProviderBilling, "CME pass price are set by its coordinators"),
        (Order, "an order's state moves only with Stripe's confirmation"),
        (CmePass, "a pass starts when its order is paid"),
        (StripeEvent, "the events Stripe sent"),
    ],
)
def test_a_superuser_cannot_add_change_or_delete_billing_records_in_the_admin(
    admin_client, billing_rows, model, note
):
    obj = model._default_manager.order_by("pk").first()
    assert_read_only_in_admin(admin_client, obj, note)


def test_a_fee_changed_through_the_admin_stays_as_the_coordinator_set_it(admin_client, fee, activity):
    events = AuditEvent.objects.count()
    response = admin_client.post(
        admin_url(ActivityFee, "change", fee.pk), {"activity": activity.pk, "amount": "1"}
    )
    assert response.status_code == 403
    fee.refresh_from_db()
    assert fee.amount == 4900
    assert AuditEvent.objects.count() == events
    assert stored(fee)["amount"] == 4900
