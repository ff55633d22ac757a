"""The demo institution: Mercy General Hospital, 25 seats, the demo admin, members (one consenting);
seeding twice changes nothing."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from credits.services import claim_credit
from institutions.demo import seed_demo_institution
from institutions.models import Invitation, Membership, SeatLicence
from institutions.selectors import seat_use
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


def test_the_demo_institution_is_seeded_once(client, provider, activity):
    admin = factories.make_user("admin@example.org", is_staff=True)
    members = [factories.make_user(f"member{n}@example.org", profile=True) for n in range(3)]
    factories.pass_and_evaluate(members[0], activity)
    claim_credit(learner=members[0], activity=activity, minutes=40, attested=True)
    institution = seed_demo_institution(provider=provider, admin_user=admin, member_users=members)
    events = AuditEvent.objects.count()
    again = seed_demo_institution(provider=provider, admin_user=admin, member_users=members)
    assert again.pk == institution.pk and AuditEvent.objects.count() == events
    assert institution.name == "Mercy General Hospital"
    assert institution.email_domains == ["mercy-general.example.org"]
    use = seat_use(institution)
    assert (use.bought, use.used, use.free) == (25, 3, 22)
    assert SeatLicence.objects.count() == 1 and Invitation.objects.count() == 1
    assert [m.shares_completions for m in Membership.objects.order_by("user__email")] == [True, False, False]

    mfa_login(client, admin)
    page = client.get(reverse("institutions:admin", args=[institution.slug])).content.decode()
    assert "member0@example.org" in page and activity.title in page and "not shared" in page
    assert "new.resident@mercy-general.example.org" in page
