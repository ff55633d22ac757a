"""Django's admin: staff create institutions and grant seats through the audited services; memberships
and invitations are read-only there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from institutions.invitations import invitations_send
from institutions.models import Institution, InstitutionAdmin, Invitation, Membership, SeatLicence
from institutions.services import membership_join
from testkit import factories
from testkit.admin_pages import admin_url, assert_read_only_in_admin
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return make_user("root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, staff):
    mfa_login(client, staff)
    return client


def _dt(value):
    return {"0": value.strftime("%Y-%m-%d"), "1": value.strftime("%H:%M:%S")}


def test_staff_create_an_institution_with_clean_domains_audited(admin_client, provider, staff):
    response = admin_client.post(
        admin_url(Institution, "add"),
        {"name": "Mercy General Hospital", "slug": "mercy", "provider": provider.pk,
         "email_domains": "Mercy-General.example.org, @mercy.example.org mercy.example.org"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    institution = Institution.objects.get()
    assert institution.email_domains == ["mercy-general.example.org", "mercy.example.org"]
    event = AuditEvent.objects.get(action="institution.created")
    assert event.actor == staff and event.data["email_domains"] == institution.email_domains


@pytest.mark.parametrize("domains", ["not a domain!", "localhost", "http://x.org", "a@b.org", "-bad.org"])
def test_bad_domains_are_refused(admin_client, provider, domains):
    response = admin_client.post(
        admin_url(Institution, "add"),
        {"name": "Mercy", "slug": "mercy", "provider": provider.pk, "email_domains": domains},
    )
    assert response.status_code == 200 and "is not an email domain" in response.content.decode()
    assert not Institution.objects.exists()


def test_staff_grant_a_licence_audited(admin_client, institution, staff):
    now = timezone.now()
    data = {"institution": institution.pk, "seats": "25"}
    for name, value in (("valid_from", now), ("valid_until", now + timedelta(days=365))):
        for part, text in _dt(value).items():
            data[f"{name}_{part}"] = text
    response = admin_client.post(admin_url(SeatLicence, "add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    licence = SeatLicence.objects.get()
    assert licence.seats == 25 and licence.order_reference == ""
    event = AuditEvent.objects.get(action="seat_licence.granted", object_id=str(licence.pk))
    assert event.actor == staff and event.data["seats"] == 25


@pytest.mark.parametrize("seats", ["0", "-3", "", "abc", "5001"])
def test_a_grant_of_no_seats_is_refused(admin_client, institution, seats):
    now = timezone.now()
    data = {"institution": institution.pk, "seats": seats}
    for name, value in (("valid_from", now), ("valid_until", now + timedelta(days=30))):
        for part, text in _dt(value).items():
            data[f"{name}_{part}"] = text
    response = admin_client.post(admin_url(SeatLicence, "add"), data)
    assert response.status_code == 200
    assert not SeatLicence.objects.exists()


def test_a_grant_ending_before_it_starts_is_refused(admin_client, institution):
    now = timezone.now()
    data = {"institution": institution.pk, "seats": "5"}
    for name, value in (("valid_from", now), ("valid_until", now - timedelta(days=1))):
        for part, text in _dt(value).items():
            data[f"{name}_{part}"] = text
    response = admin_client.post(admin_url(SeatLicence, "add"), data)
    assert response.status_code == 200 and "must end after it starts" in response.content.decode()
    assert not SeatLicence.objects.exists()


def test_staff_end_a_licence_with_the_action_audited(admin_client, seated, staff):
    licence = SeatLicence.objects.get()
    response = admin_client.post(
        admin_url(SeatLicence, "changelist"), {"action": "end_licences", "_selected_action": [licence.pk]}
    )
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.ended_at is not None
    assert AuditEvent.objects.get(action="seat_licence.ended").actor == staff


def test_staff_who_may_only_view_licences_cannot_end_them(client, make_user, seated):
    """The action ends a paid licence (its members lose coverage): a view-only staff member (an
    auditor) sees the licences but cannot run it."""
    from django.contrib.auth.models import Permission

    viewer = make_user("auditor@example.org", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_seatlicence"))
    mfa_login(client, viewer)
    assert client.get(admin_url(SeatLicence, "changelist")).status_code == 200
    licence = SeatLicence.objects.get()
    client.post(
        admin_url(SeatLicence, "changelist"), {"action": "end_licences", "_selected_action": [licence.pk]}
    )
    licence.refresh_from_db()
    assert licence.ended_at is None
    assert not AuditEvent.objects.filter(action="seat_licence.ended").exists()


def test_staff_name_an_institution_admin_audited(admin_client, institution, staff):
    user = factories.make_user("office@mercy.example.org")
    response = admin_client.post(
        admin_url(InstitutionAdmin, "add"), {"institution": institution.pk, "user": user.pk}
    )
    assert response.status_code == 302
    assert InstitutionAdmin.objects.filter(institution=institution, user=user).exists()
    assert AuditEvent.objects.get(action="institution.admin_added").data["email"] == user.email


def test_memberships_and_invitations_are_read_only_in_the_admin(admin_client, seated, inst_admin, learner):
    membership_join(institution=seated, user=learner, via="domain")
    invitations_send(institution=seated, emails=["x@example.org"], actor=inst_admin)
    assert_read_only_in_admin(admin_client, Membership.objects.get(), "a member joins by invitation")
    invitation = Invitation.objects.get()
    assert_read_only_in_admin(admin_client, invitation, "sends and withdraws invitations")
    page = admin_client.get(admin_url(invitation, "change", invitation.pk)).content.decode()
    assert invitation.token_hash not in page
