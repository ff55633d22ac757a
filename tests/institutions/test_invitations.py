"""Invitations: sent by the admin, one signed link each, used once, expiring, revocable, and accepted only
by an account with the invited address verified."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from institutions.errors import InstitutionError
from institutions.invitations import invitation_accept, invitations_send, parse_addresses, token_hash
from institutions.models import Invitation, Membership
from testkit import factories
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/institutions/invitations/([A-Za-z0-9_-]+)/")


def _send(institution, inst_admin, emails, capture) -> dict[str, str]:
    """Invite ``emails``; returns {address: token} read from the emails actually sent."""
    with capture(execute=True):
        invitations_send(institution=institution, emails=emails, actor=inst_admin)
    return {message.to[0]: _token(str(message.body)) for message in mail.outbox}


def _token(body: str) -> str:
    found = LINK.search(body)
    assert found is not None, body
    return found.group(1)


@pytest.fixture
def admin_client(client, inst_admin):
    mfa_login(client, inst_admin)
    return client


def test_the_admin_invites_several_addresses_and_each_gets_its_own_link(
    admin_client, seated, inst_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("institutions:admin_invite", args=[seated.slug]),
            {"addresses": "Ann@Example.org, bob@example.org\nann@example.org"},
        )
    assert response.status_code == 302
    assert sorted(i.email for i in Invitation.objects.all()) == ["ann@example.org", "bob@example.org"]
    assert sorted(m.to[0] for m in mailoutbox) == ["ann@example.org", "bob@example.org"]
    message = mailoutbox[0]
    assert "Mercy General Hospital" in message.subject
    assert message.alternatives and "text/html" == message.alternatives[0][1]
    token = _token(str(message.body))
    # Only the token's hash is stored.
    stored = Invitation.objects.get(email=message.to[0])
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert (stored.expires_at - stored.created_at) == timedelta(days=14)
    assert AuditEvent.objects.filter(action="invitation.sent").count() == 2


def test_invalid_addresses_are_refused_and_nothing_is_sent(admin_client, seated, mailoutbox):
    response = admin_client.post(
        reverse("institutions:admin_invite", args=[seated.slug]),
        {"addresses": "ann@example.org, not-an-address"},
    )
    assert response.status_code == 400
    assert "Not an email address: not-an-address" in response.content.decode()
    assert not Invitation.objects.exists() and mailoutbox == []


@pytest.mark.parametrize("text", ["", "   ", ",,;", "a@b@c.org", "x" * 300 + "@example.org"])
def test_parse_addresses_refuses_bad_input(text):
    with pytest.raises(InstitutionError):
        parse_addresses(text)


def test_too_many_addresses_at_once_are_refused(settings):
    settings.INSTITUTIONS = {**settings.INSTITUTIONS, "MAX_INVITATIONS_PER_SEND": 2}
    with pytest.raises(InstitutionError) as refused:
        parse_addresses("a@example.org b@example.org c@example.org")
    assert refused.value.code == "too_many"


def test_the_invited_learner_accepts_with_consent(
    client, seated, inst_admin, django_capture_on_commit_callbacks, mailoutbox
):
    invited = factories.make_user("nurse@example.org")
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    url = reverse("institutions:invitation", args=[token])
    # Anonymous: sees the offer, and is asked to log in first.
    page = client.get(url).content.decode()
    assert "Mercy General Hospital" in page and "Log in" in page
    response = client.post(url, {"shares_completions": "on"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Membership.objects.exists()

    client.force_login(invited)
    response = client.post(url, {"shares_completions": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("institutions:mine")
    membership = Membership.objects.get(user=invited)
    assert membership.joined_via == "invitation" and membership.shares_completions is True
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == invited and invitation.accepted_at is not None
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1

    # Used twice: refused, nothing more written.
    again = client.post(url, {})
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert Membership.objects.count() == 1


def test_another_accounts_email_is_refused(client, seated, inst_admin, django_capture_on_commit_callbacks):
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    someone = factories.make_user("someone-else@example.org")
    client.force_login(someone)
    response = client.post(reverse("institutions:invitation", args=[token]), {})
    assert response.status_code == 403
    page = response.content.decode()
    assert "sent to nurse@example.org" in page and "logged in as someone-else@example.org" in page
    assert not Membership.objects.exists()
    assert Invitation.objects.get().accepted_at is None  # still usable by the right person


def test_the_invited_address_unverified_is_refused(
    client, seated, inst_admin, django_capture_on_commit_callbacks
):
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    user = factories.make_user("main@example.org")
    EmailAddress.objects.create(user=user, email="Nurse@Example.org", verified=False, primary=False)
    client.force_login(user)
    response = client.post(reverse("institutions:invitation", args=[token]), {})
    assert response.status_code == 403 and "Verify nurse@example.org first" in response.content.decode()
    assert not Membership.objects.exists()


def test_an_expired_link_is_refused(client, seated, inst_admin, django_capture_on_commit_callbacks):
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.force_login(factories.make_user("nurse@example.org"))
    for method in (client.get, client.post):
        response = method(reverse("institutions:invitation", args=[token]))
        assert response.status_code == 410 and "expired" in response.content.decode()
    assert not Membership.objects.exists()


def test_a_revoked_link_is_refused(
    admin_client, client, seated, inst_admin, django_capture_on_commit_callbacks
):
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    invitation = Invitation.objects.get()
    response = admin_client.post(
        reverse("institutions:admin_invitation_revoke", args=[seated.slug, invitation.pk])
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert AuditEvent.objects.filter(action="invitation.revoked", object_id=str(invitation.pk)).count() == 1
    nurse = factories.make_user("nurse@example.org")
    with pytest.raises(InstitutionError) as refused:
        invitation_accept(token=token, user=nurse)
    assert refused.value.code == "invitation_revoked"
    assert not Membership.objects.exists()


@pytest.mark.parametrize(
    "tamper", [lambda t: t[:-1], lambda t: t + "x", lambda t: t[::-1], lambda t: "A" * 400]
)
def test_a_tampered_link_finds_nothing(
    client, seated, inst_admin, django_capture_on_commit_callbacks, tamper
):
    token = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    client.force_login(factories.make_user("nurse@example.org"))
    response = client.post(reverse("institutions:invitation", args=[tamper(token)]), {})
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert not Membership.objects.exists()


def test_inviting_again_replaces_the_pending_link(seated, inst_admin, django_capture_on_commit_callbacks):
    first = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    mail.outbox.clear()
    second = _send(seated, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    nurse = factories.make_user("nurse@example.org")
    with pytest.raises(InstitutionError) as refused:
        invitation_accept(token=first, user=nurse)
    assert refused.value.code == "invitation_revoked"
    assert invitation_accept(token=second, user=nurse).joined_via == "invitation"


def test_accepting_with_no_seat_left_is_refused_and_the_link_stays_usable(
    client, institution, inst_admin, django_capture_on_commit_callbacks
):
    token = _send(institution, inst_admin, ["nurse@example.org"], django_capture_on_commit_callbacks)[
        "nurse@example.org"
    ]
    client.force_login(factories.make_user("nurse@example.org"))
    response = client.post(reverse("institutions:invitation", args=[token]), {})
    assert response.status_code == 409 and "no free seat" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None
