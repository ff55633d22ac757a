"""A paid claim carries the same choices as a free claim (issue 13 items 2 and 5): the MOC opt-ins
and the further credit types ticked at checkout are checked before any money moves, kept on the
order, and the webhook's claim uses exactly those, with the MOC consent time of the checkout."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import html

from accounts.models import Degree, LearnerProfile
from audit.models import AuditEvent
from billing import services
from billing.models import CmePass, Order
from credits import moc, versions
from credits.models import (
    ActivityCredit,
    Certificate,
    ClaimedCredit,
    CompletionRecord,
    CreditClaim,
    MocOptIn,
)
from credits.provider_time import provider_date
from testkit import factories
from testkit.payments import post_event

pytestmark = pytest.mark.django_db

ABA_ID = "1234567"


@pytest.fixture
def offered(provider, episode, coordinator):
    """An ANCC-accredited provider's activity: AMA 0.75 and ANCC 0.75, registered for ABA (LL 0.75)
    and ABP (LLSA 0.75) MOC, published before anyone starts."""
    provider.ancc_accredited = True
    provider.save()
    activity = factories.make_activity(
        provider=provider, episode=episode, coordinator=coordinator, publish=False
    )
    ActivityCredit.objects.create(activity=activity, kind="ancc", amount=Decimal("0.75"))
    versions.activity_publish(activity=activity, actor=coordinator)
    moc.moc_register(
        activity=activity, actor=coordinator, rows=[("ABA", "LL", "0.75"), ("ABP", "LLSA", "0.75")]
    )
    activity.refresh_from_db()
    return activity


@pytest.fixture
def priced(offered, stripe_fake, coordinator):
    services.activity_fee_set(activity=offered, actor=coordinator, amount=4900)
    return offered


@pytest.fixture
def physician(learner, offered):
    profile = learner.profile
    profile.birth_month, profile.birth_day = 3, 9
    profile.save()
    factories.pass_and_evaluate(learner, offered)
    return learner


@pytest.fixture
def nurse(make_user, offered):
    user = make_user("nurse@example.org")
    LearnerProfile.objects.create(
        user=user,
        given_name="Florence",
        family_name="Nightingale",
        degree=Degree.RN,
        birth_month=5,
        birth_day=12,
    )
    factories.pass_and_evaluate(user, offered)
    return user


def _submit(client, activity, **data):
    response = client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on", **data}
    )
    if response.status_code == 302 and response["Location"].startswith("/verify/"):
        return client.get(response["Location"])  # claimed: the certificate's verification page
    return response


def _text(response) -> str:
    return " ".join(html.fromstring(response.content).text_content().split())


def _pay(stripe_fake, order: Order, *, event_id: str = "evt_paid_1") -> str:
    """Stripe takes the payment and sends the signed checkout.session.completed event; its body."""
    session = stripe_fake.pay(order.stripe_session_id)
    body = stripe_fake.event("checkout.session.completed", session, event_id=event_id)
    assert post_event(body).status_code == 200
    return body


# --- MOC -------------------------------------------------------------------------------------------


def test_a_paid_claim_with_an_aba_opt_in_stores_the_consent_with_the_claim(
    client, priced, physician, stripe_fake
):
    client.force_login(physician)
    page = _text(client.get(reverse("credits:claim", args=[priced.pk])))
    assert "Report my completion to ABA for MOC" in page and "49.00 USD" in page
    response = _submit(client, priced, moc_ABA="on", moc_ABA_id=f" {ABA_ID} ")
    assert response.status_code == 302, _text(response)
    order = Order.objects.get()
    assert response["Location"] == order.checkout_url
    assert order.claim_moc_optins == {"ABA": ABA_ID}  # as checked: the board id trimmed
    assert order.claim_choices_at is not None
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()  # nothing before payment
    between = timezone.now()  # the learner is on Stripe's page; the webhook comes later

    _pay(stripe_fake, order)

    order.refresh_from_db()
    optin = MocOptIn.objects.get()
    assert optin.claim_id == order.claim_id and optin.learner == physician
    assert (optin.board, optin.board_id, optin.credit_type, optin.points) == (
        "ABA",
        ABA_ID,
        "LL",
        Decimal("0.75"),
    )
    assert (optin.birth_month, optin.birth_day) == (3, 9)
    # The consent is the learner's, given at checkout: not the time the payment was confirmed.
    assert optin.consented_at == order.claim_choices_at < between < order.paid_at
    created = AuditEvent.objects.get(action="claim.created")
    assert created.data["moc"] == [
        {
            "board": "ABA",
            "board_id": ABA_ID,
            "credit_type": "LL",
            "points": "0.75",
            "consented_at": order.claim_choices_at.isoformat(),
        }
    ]
    # The completion reaches the PARS learner file's ABA columns like a free claim's.
    today = provider_date(timezone.now(), priced.provider)  # the file's range is in the provider's days
    rows = moc.learner_rows(provider=priced.provider, start=today, end=today)
    assert len(rows) == 1 and ABA_ID in rows[0].cells


def test_the_order_records_the_opt_ins_when_the_order_is_created(client, priced, physician, stripe_fake):
    client.force_login(physician)
    _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID)
    order = Order.objects.get()
    created = AuditEvent.objects.for_object(order).get(action="order.created")
    assert created.data["moc"] == {"ABA": ABA_ID} and created.data["credit_kinds"] == []  # none ticked


def test_a_second_submit_with_other_choices_replaces_them_and_the_webhook_uses_the_last(
    client, priced, physician, stripe_fake
):
    client.force_login(physician)
    _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID)
    first = Order.objects.get()
    response = _submit(client, priced, moc_ABP="on", moc_ABP_id="7654321")  # ABA unticked, ABP ticked
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.pk == first.pk and order.stripe_session_id == first.stripe_session_id
    assert order.claim_moc_optins == {"ABP": "7654321"} and order.claim_choices_at > first.claim_choices_at
    changed = AuditEvent.objects.for_object(order).get(action="order.claim_changed")
    assert changed.data["old"]["moc"] == {"ABA": ABA_ID} and changed.data["new"]["moc"] == {"ABP": "7654321"}
    assert len(stripe_fake.created_sessions()) == 1
    _pay(stripe_fake, order)
    assert list(MocOptIn.objects.values_list("board", "board_id")) == [("ABP", "7654321")]


# --- Credit types ----------------------------------------------------------------------------------


def test_a_paid_claim_by_a_nurse_with_ancc_ticked_gets_the_contact_hours_on_the_certificate(
    client, priced, nurse, stripe_fake
):
    client.force_login(nurse)
    response = _submit(client, priced, credit_kinds=["ancc"])
    assert response.status_code == 302, _text(response)
    order = Order.objects.get()
    assert order.claim_credit_kinds == ["ancc"]
    _pay(stripe_fake, order)
    order.refresh_from_db()
    assert list(ClaimedCredit.objects.filter(claim_id=order.claim_id).values_list("kind", "amount")) == [
        ("ancc", Decimal("0.75"))
    ]
    certificate = Certificate.objects.get(claim_id=order.claim_id)
    (line,) = certificate.other_credits
    assert (line["kind"], line["label"], line["amount"]) == ("ancc", "ANCC nursing contact hours", "0.75")
    assert "This activity provides 0.75 nursing contact hours" in line["statement"]
    assert AuditEvent.objects.get(action="claim.created").data["other_credits"] == {"ancc": "0.75"}


def test_a_nurse_who_unticks_ancc_on_the_paid_claim_page_pays_for_the_claim_without_it(
    client, priced, nurse, stripe_fake
):
    client.force_login(nurse)
    page = html.fromstring(client.get(reverse("credits:claim", args=[priced.pk])).content)
    (box,) = page.xpath('//input[@name="credit_kinds"]')
    assert box.get("value") == "ancc" and box.get("checked") is not None  # offered, ticked by default
    assert "Continue to payment" in page.text_content()
    response = _submit(client, priced)  # the box unticked: the browser sends no credit_kinds
    assert response.status_code == 302, _text(response)
    order = Order.objects.get()
    assert order.claim_credit_kinds == []
    _pay(stripe_fake, order)
    order.refresh_from_db()
    assert order.claim_id is not None and not ClaimedCredit.objects.exists()


def test_a_nurse_who_chose_no_further_credit_gets_none_after_paying(priced, nurse, stripe_fake):
    order = services.claim_checkout_start(
        learner=nurse, activity=priced, minutes=45, attested=True, credit_kinds=[]
    )
    assert order is not None and order.claim_credit_kinds == []
    _pay(stripe_fake, order)
    order.refresh_from_db()
    assert order.claim_id is not None and not ClaimedCredit.objects.exists()
    assert Certificate.objects.get(claim_id=order.claim_id).other_credits == []


def test_an_order_without_a_choice_awards_what_the_profession_may_claim_as_a_free_claim_does(
    priced, nurse, stripe_fake
):
    order = services.claim_checkout_start(learner=nurse, activity=priced, minutes=45, attested=True)
    assert order is not None and order.claim_credit_kinds is None
    _pay(stripe_fake, order)
    assert list(ClaimedCredit.objects.values_list("kind", flat=True)) == ["ancc"]


# --- Bad choices: refused before any checkout session ----------------------------------------------


@pytest.mark.parametrize(
    ("who", "data", "message"),
    [
        ("physician", {"moc_ABA": "on", "moc_ABA_id": "12ab"}, "Your ABA ID must be"),
        ("physician", {"moc_ABA": "on", "moc_ABA_id": ""}, "Your ABA ID must be"),
        (
            "physician",
            {"minutes": "20", "moc_ABP": "on", "moc_ABP_id": "7654321"},
            "ABP accepts full credit only: to report to ABP, claim the full 0.75 credit(s)",
        ),
        ("nurse", {"moc_ABA": "on", "moc_ABA_id": ABA_ID}, "Only physicians can have completions reported"),
        (
            "physician",
            {"credit_kinds": ["ancc"]},
            "ANCC nursing contact hours cannot be awarded to a physician",
        ),
        ("nurse", {"credit_kinds": ["acpe"]}, "This activity does not offer ACPE pharmacy CE contact hours"),
        ("nurse", {"credit_kinds": ["bogus"]}, "This activity does not offer"),
    ],
)
def test_bad_choices_are_refused_before_any_money_moves(
    request, client, priced, stripe_fake, who, data, message
):
    learner = request.getfixturevalue(who)
    client.force_login(learner)
    response = _submit(client, priced, **data)
    assert response.status_code == 400
    assert message in _text(response)
    assert not Order.objects.exists()
    assert stripe_fake.created_sessions() == []  # the fake Stripe server was asked nothing
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="order.").exists()


def test_a_board_the_version_is_not_registered_with_is_refused_before_any_session(
    priced, physician, stripe_fake
):
    with pytest.raises(services.BillingError, match="not registered for ABIM MOC"):
        services.claim_checkout_start(
            learner=physician, activity=priced, minutes=45, attested=True, moc_optins={"ABIM": "123456"}
        )
    assert not Order.objects.exists() and stripe_fake.created_sessions() == []


def test_bad_choices_on_a_second_submit_leave_the_order_as_it_was(client, priced, physician, stripe_fake):
    client.force_login(physician)
    _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID)
    before = Order.objects.get()
    response = _submit(client, priced, moc_ABA="on", moc_ABA_id="x1")
    assert response.status_code == 400 and "Your ABA ID must be" in _text(response)
    order = Order.objects.get()
    assert order.claim_moc_optins == {"ABA": ABA_ID} and order.claim_choices_at == before.claim_choices_at
    assert len(stripe_fake.created_sessions()) == 1
    assert not AuditEvent.objects.filter(action="order.claim_changed").exists()


# --- The webhook, replayed -------------------------------------------------------------------------


def test_a_replayed_webhook_duplicates_nothing(client, priced, physician, nurse, stripe_fake):
    client.force_login(physician)
    _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID)
    client.force_login(nurse)
    _submit(client, priced, credit_kinds=["ancc"])
    doctor_order = Order.objects.get(learner=physician)
    nurse_order = Order.objects.get(learner=nurse)
    doctor_body = _pay(stripe_fake, doctor_order, event_id="evt_doctor")
    nurse_body = _pay(stripe_fake, nurse_order, event_id="evt_nurse")
    # Stripe delivers the same events again, and another event for the same paid sessions.
    assert post_event(doctor_body).status_code == 200
    assert post_event(nurse_body).status_code == 200
    for order, event_id in [(doctor_order, "evt_doctor_async"), (nurse_order, "evt_nurse_async")]:
        session = stripe_fake.sessions[order.stripe_session_id]
        body = stripe_fake.event("checkout.session.async_payment_succeeded", session, event_id=event_id)
        assert post_event(body).status_code == 200
    assert CreditClaim.objects.count() == 2 and CompletionRecord.objects.count() == 2
    assert Certificate.objects.count() == 2
    assert MocOptIn.objects.count() == 1 and ClaimedCredit.objects.count() == 1
    assert AuditEvent.objects.filter(action="claim.created").count() == 2
    assert AuditEvent.objects.filter(action="order.paid").count() == 2
    assert not Order.objects.exclude(fulfilment_error="").exists()


def test_the_consent_time_is_never_later_than_the_claim(priced, physician, stripe_fake):
    """A consent time in the future (a clock skew) is stored as the claim's time."""
    order = services.claim_checkout_start(
        learner=physician, activity=priced, minutes=45, attested=True, moc_optins={"ABA": ABA_ID}
    )
    assert order is not None
    Order.objects.filter(pk=order.pk).update(claim_choices_at=timezone.now() + datetime.timedelta(days=1))
    _pay(stripe_fake, order)
    optin = MocOptIn.objects.get()
    assert optin.consented_at <= optin.claim.claimed_at + datetime.timedelta(seconds=1)


def test_a_choice_that_no_longer_holds_when_the_payment_arrives_claims_nothing_and_is_kept_for_a_refund(
    client, priced, physician, stripe_fake
):
    """The profile changed between checkout and payment (now a nurse): the claim with the MOC
    opt-in is refused as a whole, never made without the choice the learner paid for."""
    client.force_login(physician)
    _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID)
    order = Order.objects.get()
    LearnerProfile.objects.filter(user=physician).update(degree=Degree.RN)
    _pay(stripe_fake, order)
    order.refresh_from_db()
    assert order.status == "paid" and order.claim_id is None
    assert "Only physicians can have completions reported" in order.fulfilment_error
    assert not CreditClaim.objects.exists() and not MocOptIn.objects.exists()
    assert AuditEvent.objects.for_object(order).filter(action="order.fulfilment_failed").count() == 1


def test_a_claim_covered_by_a_pass_carries_the_choices_too(client, priced, physician, nurse, stripe_fake):
    for learner in (physician, nurse):
        order = Order.objects.create(
            learner=learner, kind="pass", provider=priced.provider, amount=9900, currency="usd", status="paid"
        )
        now = timezone.now()
        CmePass.objects.create(
            learner=learner,
            provider=priced.provider,
            order=order,
            valid_from=now,
            valid_until=now + datetime.timedelta(days=365),
        )
    client.force_login(physician)
    assert _submit(client, priced, moc_ABA="on", moc_ABA_id=ABA_ID).status_code == 200
    client.force_login(nurse)
    assert _submit(client, priced, credit_kinds=["ancc"]).status_code == 200
    assert stripe_fake.created_sessions() == [] and not Order.objects.filter(kind="claim").exists()
    assert list(MocOptIn.objects.values_list("learner__email", "board")) == [("learner@example.org", "ABA")]
    assert list(ClaimedCredit.objects.values_list("claim__learner__email", "kind")) == [
        ("nurse@example.org", "ancc")
    ]
