"""The demo institution: Mercy General Hospital, 25 seats, the demo admin, members (one consenting),
dated before the demo claims so the consenting learner's completion shows; seeding twice changes
nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits.demo import backdate_demo_claim
from credits.services import claim_credit
from institutions.demo import backdate_demo_institution, seed_demo_institution
from institutions.models import Invitation, Membership, SeatLicence
from institutions.selectors import admin_page, seat_use
from institutions.services import membership_join
from testkit import factories
from testkit.institutions import give_seats, make_institution
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


def test_the_demo_members_joined_before_their_backdated_claims_so_the_completion_shows(
    client, provider, activity
):
    """The demo claims are about 100 days old (credits.demo): the hospital's contract, the members'
    joining and the learner's consent are dated before them, with their audit rows."""
    admin = factories.make_user("admin@example.org", is_staff=True)
    members = [factories.make_user(f"member{n}@example.org", profile=True) for n in range(2)]
    factories.pass_and_evaluate(members[0], activity)
    claim = claim_credit(learner=members[0], activity=activity, minutes=40, attested=True)
    claimed_at = timezone.now() - timedelta(days=100)
    assert backdate_demo_claim(claim=claim, at=claimed_at)
    institution = seed_demo_institution(provider=provider, admin_user=admin, member_users=members)

    joined = claimed_at - timedelta(days=14)
    learner_membership = Membership.objects.get(user=members[0], ended_at__isnull=True)
    assert learner_membership.joined_at == joined
    assert learner_membership.consent_changed_at == joined + timedelta(minutes=5)
    assert learner_membership.shares_completions
    (licence,) = SeatLicence.objects.all()
    assert licence.valid_from == joined - timedelta(days=1) and licence.valid_until > timezone.now()
    assert seat_use(institution).used == 2
    joined_row = AuditEvent.objects.get(action="membership.joined", object_id=str(learner_membership.pk))
    consent_row = AuditEvent.objects.get(
        action="membership.consent_changed", object_id=str(learner_membership.pk)
    )
    assert joined_row.created_at == joined and consent_row.created_at == joined + timedelta(minutes=5)
    assert AuditEvent.objects.get(action="seat_licence.granted").created_at == licence.valid_from

    (row,) = [r for r in admin_page(institution).rows if r.membership.user == members[0]]
    assert row.completions == 1
    mfa_login(client, admin)
    page = client.get(reverse("institutions:admin", args=[institution.slug])).content.decode()
    completions = page.split('id="completions"')[1].split("</table>")[0]
    assert "member0@example.org" in completions and activity.title in completions

    # A second seed moves nothing.
    events = AuditEvent.objects.count()
    assert not backdate_demo_institution(institution=institution, joined_at=joined)
    seed_demo_institution(provider=provider, admin_user=admin, member_users=members)
    learner_membership.refresh_from_db()
    assert learner_membership.joined_at == joined and AuditEvent.objects.count() == events


def test_demo_dates_are_moved_only_on_a_demo_site(provider, settings):
    institution = make_institution(provider, slug="not-a-demo")
    settings.PODCASTCME_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        backdate_demo_institution(institution=institution, joined_at=timezone.now() - timedelta(days=90))
    institution.refresh_from_db()
    assert institution.created_at > timezone.now() - timedelta(days=1)


def test_demo_dates_are_moved_only_for_the_demo_institution(provider, settings):
    """Even on a demo site, a real institution given by mistake is never re-dated."""
    settings.PODCASTCME_DEMO_ALLOWED = True
    institution = make_institution(provider, slug="not-a-demo")
    give_seats(institution, 3)
    member = factories.make_user("ward@mercy.example.org")
    membership = membership_join(institution=institution, user=member, via="domain")
    events = AuditEvent.objects.count()
    with pytest.raises(ImproperlyConfigured):
        backdate_demo_institution(institution=institution, joined_at=timezone.now() - timedelta(days=90))
    institution.refresh_from_db()
    membership.refresh_from_db()
    assert institution.created_at > timezone.now() - timedelta(days=1)
    assert membership.joined_at > timezone.now() - timedelta(days=1)
    assert AuditEvent.objects.count() == events
