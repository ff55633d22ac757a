"""membership_join: seats are counted from current licences; joining beyond them is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from institutions.errors import InstitutionError
from institutions.models import JoinedVia, Membership
from institutions.services import membership_join
from testkit import factories
from testkit.institutions import give_seats

pytestmark = pytest.mark.django_db


def test_a_learner_joins_and_the_join_is_audited(seated, learner):
    membership = membership_join(institution=seated, user=learner, via=JoinedVia.DOMAIN)
    assert membership.ended_at is None and membership.joined_via == "domain"
    assert membership.shares_completions is False  # consent is off unless the learner says yes
    event = AuditEvent.objects.get(action="membership.joined", object_id=str(membership.pk))
    assert event.actor == learner and event.data["via"] == "domain"


def test_joining_twice_is_refused(seated, learner):
    membership_join(institution=seated, user=learner, via="sso")
    with pytest.raises(InstitutionError) as refused:
        membership_join(institution=seated, user=learner, via="sso")
    assert refused.value.code == "already_member"
    assert Membership.objects.count() == 1


def test_joining_beyond_the_seats_is_refused_with_a_clear_message(seated):
    for n in range(3):
        membership_join(institution=seated, user=factories.make_user(f"m{n}@example.org"), via="invitation")
    late = factories.make_user("late@example.org")
    with pytest.raises(InstitutionError) as refused:
        membership_join(institution=seated, user=late, via="invitation")
    assert refused.value.code == "no_seat"
    assert "no free seat" in refused.value.message and "3 of 3" in refused.value.message
    assert not Membership.objects.filter(user=late).exists()
    assert not AuditEvent.objects.filter(action="membership.joined", actor=late).exists()


def test_no_current_licence_means_no_seat(institution, learner):
    lapsed = give_seats(institution, 10)
    lapsed.valid_from = timezone.now() - timedelta(days=400)
    lapsed.valid_until = timezone.now() - timedelta(days=35)
    lapsed.save()
    with pytest.raises(InstitutionError) as refused:
        membership_join(institution=institution, user=learner, via="domain")
    assert refused.value.code == "no_seat"


def test_seats_add_up_over_current_licences(institution):
    give_seats(institution, 1)
    give_seats(institution, 1)
    membership_join(institution=institution, user=factories.make_user("a@example.org"), via="sso")
    membership_join(institution=institution, user=factories.make_user("b@example.org"), via="sso")
    with pytest.raises(InstitutionError):
        membership_join(institution=institution, user=factories.make_user("c@example.org"), via="sso")


def test_an_unknown_route_is_refused(seated, learner):
    with pytest.raises(InstitutionError) as refused:
        membership_join(institution=seated, user=learner, via="backdoor")
    assert refused.value.code == "invalid"
    assert not Membership.objects.exists()
