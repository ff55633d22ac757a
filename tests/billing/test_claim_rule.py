"""One claim-eligibility rule: a free claim and a paid claim are refused for the same reasons, in the
same words, and a refused paid claim creates no order and asks Stripe for nothing."""

import pytest
from django.urls import reverse

from accounts.models import LearnerProfile
from audit.models import AuditEvent
from billing import services
from billing.models import Order
from credits import services as credit_services
from credits.models import Attempt, CreditClaim
from testkit.factories import expire_activity

pytestmark = pytest.mark.django_db


def _expire(activity):
    expire_activity(activity, released_days_ago=31)


def _profile_incomplete(learner):
    LearnerProfile.objects.filter(user=learner).update(given_name="")


# name: (fixtures the learner has gone through, what breaks the rule, minutes, attested, expected code)
VIOLATIONS = {
    "expired": (["evaluated"], _expire, 40, True, "expired"),
    "not passed": ([], None, 40, True, "not_passed"),
    "not evaluated": (["passed"], None, 40, True, "no_evaluation"),
    "already claimed": (["evaluated", "claimed"], None, 40, True, "already_claimed"),
    "profile incomplete": (["evaluated"], "profile", 40, True, "profile"),
    "not attested": (["evaluated"], None, 40, False, "not_attested"),
    "no minutes": (["evaluated"], None, 0, True, "minutes"),
    "more than a day": (["evaluated"], None, 24 * 60 + 1, True, "minutes"),
    "less than a quarter credit": (["evaluated"], None, 5, True, "minutes"),
}


def _arrange(request, learner, activity, case):
    steps, breaks, minutes, attested, code = VIOLATIONS[case]
    for step in steps:
        if step == "claimed":
            credit_services.claim_credit(learner=learner, activity=activity, minutes=40, attested=True)
        else:
            request.getfixturevalue(step)
    if breaks == "profile":
        _profile_incomplete(learner)
    elif breaks is not None:
        breaks(activity)
    return minutes, attested, code


@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_a_broken_rule_gives_the_same_refusal_free_and_paid_and_no_order(
    request, case, learner, activity, fee, stripe_fake
):
    minutes, attested, code = _arrange(request, learner, activity, case)
    claims_before = CreditClaim.objects.count()
    events_before = AuditEvent.objects.count()
    kwargs = dict(learner=learner, activity=activity, minutes=minutes, attested=attested)

    with pytest.raises(credit_services.CreditError) as free:
        credit_services.claim_credit(**kwargs)
    with pytest.raises(services.BillingError) as checkout:
        services.claim_checkout_start(**kwargs)
    with pytest.raises(services.BillingError) as submitted:
        services.claim_submit(**kwargs)

    assert free.value.code == code
    assert (checkout.value.message, checkout.value.code) == (free.value.message, free.value.code)
    assert (submitted.value.message, submitted.value.code) == (free.value.message, free.value.code)
    assert Order.objects.count() == 0 and stripe_fake.created_sessions() == []
    assert CreditClaim.objects.count() == claims_before
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("case", ["expired", "not passed", "not evaluated", "profile incomplete"])
def test_the_claim_page_says_the_same_with_and_without_a_fee(
    request, case, client, settings, learner, activity, fee, stripe_fake
):
    _arrange(request, learner, activity, case)
    client.force_login(learner)
    url = reverse("credits:claim", args=[activity.pk])
    form = {"minutes": "40", "attest": "on"}

    paid = client.post(url, form)
    settings.STRIPE_SECRET_KEY = ""  # fees off: the same form claims for free
    free = client.post(url, form)

    assert paid.status_code == free.status_code == 400
    if case == "profile incomplete":  # asked on the claim page (issue 15, item 2): the same field errors
        assert paid.context["profile_form"].errors == free.context["profile_form"].errors != {}
        assert Order.objects.count() == 0 and CreditClaim.objects.count() == 0
        return
    if case in ("not passed", "not evaluated"):
        # The post-test and the evaluation are asked on the claim page (issue 15): left unanswered,
        # the same errors with and without a fee, and nothing is written (no attempt is scored).
        assert paid.context["evaluation_form"].errors == free.context["evaluation_form"].errors != {}
        expected = "Answer every question of the post-test." if case == "not passed" else None
        assert paid.context["quiz_error"] == free.context["quiz_error"] == expected
        assert Order.objects.count() == 0 and stripe_fake.created_sessions() == []
        assert CreditClaim.objects.count() == 0 and not Attempt.objects.filter(passed=False).exists()
        return
    message = str(free.context["form"].non_field_errors()[0])
    assert list(paid.context["form"].non_field_errors()) == [message]
    assert message in paid.content.decode()
    assert Order.objects.count() == 0 and stripe_fake.created_sessions() == []
    assert CreditClaim.objects.count() == 0


def test_a_small_claim_is_refused_on_the_minutes_field_free_and_paid(
    client, settings, learner, activity, evaluated, fee, stripe_fake
):
    client.force_login(learner)
    url = reverse("credits:claim", args=[activity.pk])
    paid = client.post(url, {"minutes": "5", "attest": "on"})
    settings.STRIPE_SECRET_KEY = ""
    free = client.post(url, {"minutes": "5", "attest": "on"})
    expected = ["The smallest claim is 0.25 credit (about 8 minutes or more of participation)."]
    assert paid.status_code == free.status_code == 400
    assert paid.context["form"].errors["minutes"] == free.context["form"].errors["minutes"] == expected
    assert Order.objects.count() == 0 and CreditClaim.objects.count() == 0
