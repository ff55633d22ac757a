"""A member the institution's admin removed stays out: no rejoining by verified email domain, no seat
taken again by signing in through the institution's IdP, until an admin invites them again (which is
audited and lifts the bar). Leaving by oneself bars nothing."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from institutions import selectors
from institutions.errors import InstitutionError
from institutions.invitations import invitation_accept, invitations_send, membership_join_by_domain
from institutions.models import Invitation, Membership
from institutions.services import membership_end, membership_join
from testkit import factories
from testkit.institutions import give_seats, make_institution, make_institution_admin
from testkit.mfa import mfa_login
from testkit.oidc import IDP_PASSWORD, add_idp_user, sso_sign_in

pytestmark = pytest.mark.django_db

EMAIL = "ward@mercy.example.org"
LINK = re.compile(r"/institutions/invitations/([A-Za-z0-9_-]+)/")


@pytest.fixture
def admin_client(client, inst_admin):
    mfa_login(client, inst_admin)
    return client


@pytest.fixture
def inst_admin_of_mercy(mercy):
    return make_institution_admin(mercy, factories.make_user("cme-office@mercy.example.org"))


def _remove(institution, user, admin) -> Membership:
    membership = membership_join(institution=institution, user=user, via="domain")
    return membership_end(membership=membership, actor=admin, reason="removed by admin", removed=True)


def test_the_admin_removing_a_member_records_the_removal(admin_client, seated, inst_admin):
    member = factories.make_user(EMAIL)
    membership = membership_join(institution=seated, user=member, via="domain")
    admin_client.post(reverse("institutions:admin_member_remove", args=[seated.slug, membership.pk]))
    membership.refresh_from_db()
    assert membership.ended_at is not None and membership.removed_at == membership.ended_at
    assert membership.readmitted_at is None
    event = AuditEvent.objects.get(action="membership.ended", object_id=str(membership.pk))
    assert event.data["removed"] is True and event.data["by"] == "admin" and event.actor == inst_admin
    assert selectors.removal_bar(institution=seated, user=member) == membership


def test_a_removed_domain_joiner_cannot_join_again_by_domain(client, seated, inst_admin):
    member = factories.make_user(EMAIL)
    _remove(seated, member, inst_admin)
    client.force_login(member)
    response = client.post(reverse("institutions:join", args=[seated.slug]), {"shares_completions": "on"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "removed you from its seats" in page and "invite you again" in page
    assert Membership.objects.filter(user=member).count() == 1
    assert not Membership.objects.filter(user=member, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="membership.joined", actor=member).count() == 1
    # Nor through the service directly, whatever the route named.
    for via in ("domain", "sso", "invitation"):
        with pytest.raises(InstitutionError) as refused:
            membership_join(institution=seated, user=member, via=via)
        assert refused.value.code == "removed" and refused.value.status == 403
    assert Membership.objects.filter(user=member).count() == 1


def test_your_institutions_says_why_instead_of_offering_to_join(client, seated, inst_admin):
    member = factories.make_user(EMAIL)
    _remove(seated, member, inst_admin)
    client.force_login(member)
    page = client.get(reverse("institutions:mine")).content.decode()
    assert 'id="removed-from"' in page and "removed you on" in page
    assert reverse("institutions:join", args=[seated.slug]) not in page


def test_leaving_by_oneself_bars_nothing(seated, learner):
    member = factories.make_user(EMAIL)
    membership = membership_join(institution=seated, user=member, via="domain")
    membership_end(membership=membership, actor=member, reason="left")
    membership.refresh_from_db()
    assert membership.removed_at is None
    again = membership_join_by_domain(institution=seated, user=member, shares_completions=False)
    assert again.ended_at is None


def test_the_admin_page_lists_removed_members_and_invite_again_lifts_the_bar(
    admin_client, seated, inst_admin, mailoutbox, django_capture_on_commit_callbacks
):
    member = factories.make_user(EMAIL)
    removed = _remove(seated, member, inst_admin)
    page = admin_client.get(reverse("institutions:admin", args=[seated.slug])).content.decode()
    listed = page.split('id="removed"')[1].split("</table>")[0]
    assert EMAIL in listed and "Invite again" in listed
    url = reverse("institutions:admin_member_reinvite", args=[seated.slug, removed.pk])
    assert url in listed

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response.status_code == 302
    removed.refresh_from_db()
    assert removed.readmitted_at is not None
    event = AuditEvent.objects.get(action="membership.readmitted", object_id=str(removed.pk))
    assert event.actor == inst_admin and event.data["institution"] == seated.slug
    assert Invitation.objects.filter(institution=seated, email=EMAIL, revoked_at__isnull=True).count() == 1
    assert [m.to for m in mailoutbox] == [[EMAIL]]
    page = admin_client.get(reverse("institutions:admin", args=[seated.slug])).content.decode()
    assert 'id="removed"' not in page
    # Invited again: any way in works again, the domain included.
    again = membership_join_by_domain(institution=seated, user=member, shares_completions=False)
    assert again.ended_at is None and again.joined_via == "domain"
    # The button is gone for a lifted bar (and never works for another institution's member).
    assert admin_client.post(url).status_code == 404


def test_invite_again_answers_only_the_institutions_admins(client, seated, inst_admin, learner):
    removed = _remove(seated, factories.make_user(EMAIL), inst_admin)
    mfa_login(client, learner)
    url = reverse("institutions:admin_member_reinvite", args=[seated.slug, removed.pk])
    assert client.post(url).status_code == 403
    assert client.get(url).status_code in (403, 405)
    removed.refresh_from_db()
    assert removed.readmitted_at is None
    assert not Invitation.objects.exists()


def test_an_invitation_sent_from_the_form_lifts_the_bar_too(seated, inst_admin):
    member = factories.make_user(EMAIL)
    removed = _remove(seated, member, inst_admin)
    invitations_send(institution=seated, emails=[EMAIL.upper()], actor=inst_admin)
    removed.refresh_from_db()
    assert removed.readmitted_at is not None
    assert AuditEvent.objects.filter(action="membership.readmitted", object_id=str(removed.pk)).count() == 1


def test_an_invitation_from_before_the_removal_does_not_bring_the_member_back(
    seated, inst_admin, django_capture_on_commit_callbacks, mailoutbox
):
    member = factories.make_user(EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send(institution=seated, emails=[EMAIL], actor=inst_admin)
    token = LINK.search(str(mailoutbox[0].body)).group(1)
    _remove(seated, member, inst_admin)  # joined by domain meanwhile, then removed
    with pytest.raises(InstitutionError) as refused:
        invitation_accept(token=token, user=member)
    assert refused.value.code == "removed"
    assert not Membership.objects.filter(user=member, ended_at__isnull=True).exists()
    assert not Invitation.objects.filter(accepted_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="membership.readmitted").exists()


def test_an_invitation_after_the_removal_is_accepted_and_lifts_the_bar(
    seated, inst_admin, django_capture_on_commit_callbacks, mailoutbox
):
    """Sent to an address the account did not have yet (so sending lifted nothing); accepting it once
    the address is verified on the account lifts the bar and takes the seat."""
    member = factories.make_user(EMAIL)
    removed = _remove(seated, member, inst_admin)
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send(institution=seated, emails=["dr.ward@mercy.example.org"], actor=inst_admin)
    removed.refresh_from_db()
    assert removed.readmitted_at is None
    EmailAddress.objects.create(user=member, email="dr.ward@mercy.example.org", verified=True)
    token = LINK.search(str(mailoutbox[0].body)).group(1)
    membership = invitation_accept(token=token, user=member)
    assert membership.ended_at is None and membership.joined_via == "invitation"
    removed.refresh_from_db()
    assert removed.readmitted_at is not None
    event = AuditEvent.objects.get(action="membership.readmitted", object_id=str(removed.pk))
    assert event.data["invitation"] is not None


def test_signing_in_through_the_idp_does_not_give_a_removed_member_a_seat_again(
    client, idp, mercy, inst_admin_of_mercy
):
    username = add_idp_user(idp, email=EMAIL)
    done = sso_sign_in(client, idp, "inst-mercy", username, IDP_PASSWORD)
    client.get(done["Location"])
    membership = Membership.objects.get(institution=mercy, ended_at__isnull=True)
    assert membership.joined_via == "sso"
    member = membership.user
    membership_end(membership=membership, actor=inst_admin_of_mercy, reason="removed by admin", removed=True)

    client.logout()
    done = sso_sign_in(client, idp, "inst-mercy", username, IDP_PASSWORD)
    assert urlsplit(done["Location"]).path == reverse("institutions:sso_done", kwargs={"slug": "mercy"})
    response = client.get(done["Location"], follow=True)
    # Signed in to their own account (it is theirs), but no seat: the admin's removal wins.
    assert response.context["user"] == member
    page = response.content.decode()
    assert "removed you from its seats" in page and "invite you again" in page
    assert Membership.objects.filter(user=member).count() == 1
    assert not Membership.objects.filter(user=member, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="membership.joined", actor=member).count() == 1

    # Invited again: the next sign-in takes the seat.
    invitations_send(institution=mercy, emails=[EMAIL], actor=inst_admin_of_mercy)
    client.logout()
    response = client.get(
        sso_sign_in(client, idp, "inst-mercy", username, IDP_PASSWORD)["Location"], follow=True
    )
    assert "You are signed in as a member of Mercy General." in response.content.decode()
    assert Membership.objects.get(user=member, ended_at__isnull=True).joined_via == "sso"


def test_an_unverified_address_on_a_removed_members_account_does_not_lift_the_bar(
    seated, inst_admin, django_capture_on_commit_callbacks, mailoutbox
):
    """A removed learner adds a colleague's address (never verified); the admin invites the colleague:
    the removed learner stays barred (sending lifts only for an address verified on the account)."""
    member = factories.make_user(EMAIL)
    removed = _remove(seated, member, inst_admin)
    EmailAddress.objects.create(user=member, email="newhire@mercy.example.org", verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        invitations_send(institution=seated, emails=["newhire@mercy.example.org"], actor=inst_admin)
    removed.refresh_from_db()
    assert removed.readmitted_at is None
    assert not AuditEvent.objects.filter(action="membership.readmitted").exists()
    with pytest.raises(InstitutionError) as refused:
        membership_join_by_domain(institution=seated, user=member, shares_completions=False)
    assert refused.value.code == "removed"
    # Nor may they take the colleague's invitation with the address unverified.
    token = LINK.search(str(mailoutbox[0].body)).group(1)
    with pytest.raises(InstitutionError) as refused:
        invitation_accept(token=token, user=member)
    assert refused.value.code == "email_unverified"
    assert not Membership.objects.filter(user=member, ended_at__isnull=True).exists()


def test_the_accounts_own_address_lifts_the_bar_only_when_verified(seated, inst_admin):
    member = factories.make_user(EMAIL, verified=False)
    removed = _remove(seated, member, inst_admin)
    invitations_send(institution=seated, emails=[EMAIL], actor=inst_admin)
    removed.refresh_from_db()
    assert removed.readmitted_at is None


def test_the_database_refuses_a_readmission_before_the_removal(seated, inst_admin):
    removed = _remove(seated, factories.make_user(EMAIL), inst_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=removed.pk).update(
            readmitted_at=removed.removed_at - timedelta(seconds=1)
        )
    Membership.objects.filter(pk=removed.pk).update(readmitted_at=removed.removed_at)  # same instant: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=removed.pk).update(removed_at=None, readmitted_at=timezone.now())


def test_a_barred_learner_is_not_told_to_verify_an_address_to_join(client, seated, inst_admin):
    """Joined by invitation from an address elsewhere, removed, then added an (unverified) address at
    the institution's domain: Your institutions says they were removed, not "verify to join"."""
    member = factories.make_user("ward@elsewhere.example.com")
    _remove(seated, member, inst_admin)
    EmailAddress.objects.create(user=member, email=EMAIL, verified=False)
    client.force_login(member)
    page = client.get(reverse("institutions:mine")).content.decode()
    assert 'id="removed-from"' in page
    assert 'id="unverified"' not in page and "verify your address at its domain" not in page
    # Another institution at that domain, with no bar, is still offered.
    other = make_institution(seated.provider, name="Mercy Clinics", slug="mercy-clinics")
    page = client.get(reverse("institutions:mine")).content.decode()
    assert 'id="unverified"' in page and "Mercy Clinics: verify your address" in page
    assert other.name in page


@pytest.mark.parametrize("action", ["remove", "reinvite"])
def test_an_admin_of_another_institution_cannot_act_on_this_ones_members(client, seated, inst_admin, action):
    """Y's admin posting to Y's URL with X's membership: 404; to X's URL: 403. Nothing changes."""
    other = make_institution(
        seated.provider, name="Harbor Clinic", slug="harbor", domains=("harbor.example",)
    )
    give_seats(other, 3)
    other_admin = make_institution_admin(other, factories.make_user("office@harbor.example"))
    member = factories.make_user(EMAIL)
    membership = membership_join(institution=seated, user=member, via="domain")
    if action == "reinvite":
        membership = membership_end(membership=membership, actor=inst_admin, reason="removed", removed=True)
    before = Membership.objects.filter(pk=membership.pk).values().get()
    events = AuditEvent.objects.count()
    route = f"institutions:admin_member_{action}"
    mfa_login(client, other_admin)
    assert client.post(reverse(route, args=[other.slug, membership.pk])).status_code == 404
    assert client.post(reverse(route, args=[seated.slug, membership.pk])).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).values().get() == before
    assert AuditEvent.objects.count() == events
    assert not Invitation.objects.exists()
