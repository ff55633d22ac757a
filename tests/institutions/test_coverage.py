"""Coverage: a current member of an institution of the provider claims a fee activity without paying."""

import pytest
from django.urls import reverse

from billing.models import Order
from credits.models import CreditClaim
from institutions.services import licence_end, membership_end, membership_join
from testkit.factories import make_provider
from testkit.institutions import give_seats, make_institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def test_a_member_claims_a_fee_activity_without_paying(
    learner_client, learner, institution, activity, evaluated, fee, stripe_fake
):
    give_seats(institution, 5)
    membership_join(institution=institution, user=learner, via="domain")
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "Covered by your seat at Mercy General Hospital" in page and "Continue to payment" not in page
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}, follow=True
    )
    assert "Credit claimed" in response.content.decode()
    assert CreditClaim.objects.filter(learner=learner, activity=activity).exists()
    assert not Order.objects.exists() and not stripe_fake.created_sessions()


def test_an_ended_member_must_pay(
    learner_client, learner, institution, activity, evaluated, fee, stripe_fake
):
    give_seats(institution, 5)
    membership = membership_join(institution=institution, user=learner, via="domain")
    membership_end(membership=membership, actor=learner)
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "Continue to payment" in page and "Covered by your seat" not in page
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}
    )
    order = Order.objects.get(learner=learner, activity=activity)
    assert response.status_code == 302 and response["Location"] == order.checkout_url
    assert not CreditClaim.objects.filter(learner=learner).exists()


def test_a_member_whose_institution_has_no_current_licence_must_pay(
    learner_client, learner, institution, activity, evaluated, fee, stripe_fake
):
    licence = give_seats(institution, 5)
    membership_join(institution=institution, user=learner, via="domain")
    licence_end(licence=licence, actor=None, reason="test")
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}
    )
    assert response.status_code == 302 and Order.objects.filter(learner=learner).exists()


def test_a_seat_for_another_provider_does_not_cover(
    learner_client, learner, activity, evaluated, fee, stripe_fake
):
    other = make_institution(make_provider("Other Society", "other"), slug="elsewhere")
    give_seats(other, 5)
    membership_join(institution=other, user=learner, via="invitation")
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}
    )
    assert response.status_code == 302 and Order.objects.filter(learner=learner).exists()


def test_members_beyond_the_seats_after_a_refund_are_not_covered(
    learner_client, learner, institution, activity, evaluated, fee, stripe_fake
):
    """100 seats refunded while a 1-seat licence runs on must not leave every member covered: the
    seats cover the earliest members up to their number; the later ones pay until a seat is free."""
    from billing.services import is_covered
    from testkit.factories import make_user

    big = give_seats(institution, 2)
    give_seats(institution, 1)
    first = membership_join(institution=institution, user=make_user("first@mercy.example.org"), via="domain")
    second = membership_join(
        institution=institution, user=make_user("second@mercy.example.org"), via="domain"
    )
    membership_join(institution=institution, user=learner, via="domain")
    assert is_covered(learner=learner, provider_id=institution.provider_id)
    licence_end(licence=big, actor=None, reason="refund")  # 1 seat left, 3 members stay
    assert is_covered(learner=first.user, provider_id=institution.provider_id)
    assert not is_covered(learner=second.user, provider_id=institution.provider_id)
    assert not is_covered(learner=learner, provider_id=institution.provider_id)
    page = learner_client.get(reverse("credits:claim", args=[activity.pk])).content.decode()
    assert "Continue to payment" in page and "Covered by your seat" not in page
    response = learner_client.post(
        reverse("credits:claim", args=[activity.pk]), {"minutes": "40", "attest": "on"}
    )
    assert response.status_code == 302 and Order.objects.filter(learner=learner).exists()
    assert not CreditClaim.objects.filter(learner=learner).exists()
    membership_end(membership=first, actor=first.user)  # a seat frees: the next in line is covered
    assert is_covered(learner=second.user, provider_id=institution.provider_id)
    assert not is_covered(learner=learner, provider_id=institution.provider_id)
