"""Deleting an account frees the login and removes contact data; CME records stay for retention."""

import datetime
import secrets
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from credits.models import (
    Attempt,
    Certificate,
    CompletionRecord,
    CreditClaim,
    Evaluation,
    ExternalCredit,
    ListeningProgress,
)
from episodes.models import PersonalFeed
from testkit.factories import PASSWORD, add_claims
from testkit.mfa import give_totp

UTC = datetime.UTC


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _certificate(claim: CreditClaim, *, pdf: bytes = b"") -> Certificate:
    """The claim's certificate (``add_claims`` writes it, as the claim service does), marked issued."""
    Certificate.objects.filter(claim=claim).update(status="issued")
    certificate = Certificate.objects.get(claim=claim)
    if pdf:
        certificate.pdf.save(f"{certificate.code}.pdf", ContentFile(pdf))
    return certificate


def _record_counts(user) -> tuple[int, ...]:
    return tuple(
        model.objects.filter(learner=user).count()
        for model in (Attempt, Evaluation, CreditClaim, CompletionRecord)
    )


@pytest.fixture
def rich_learner(learner, show, provider):
    """A learner with claims, an issued certificate, MFA, a personal feed and board details."""
    profile = learner.profile
    profile.npi = "1234567893"
    profile.licence_number = "MD-12345"
    profile.abim_id = "123456"
    profile.birth_month, profile.birth_day = 4, 12
    profile.state_province = "Ohio"
    profile.board_sharing_consent = True
    profile.board_sharing_consent_at = timezone.now()
    profile.save()
    claims = add_claims(learner, show=show, provider=provider, count=2)
    _certificate(claims[0])
    give_totp(learner)
    PersonalFeed.objects.create(user=learner, show=show, nonce="n" * 32, token_hash=secrets.token_hex(32))
    ListeningProgress.objects.create(user=learner, episode=claims[0].activity.episode, seconds_played=60)
    ExternalCredit.objects.create(
        learner=learner,
        title="Elsewhere",
        provider_name="City Hospital",
        completed_on=datetime.date(2024, 1, 1),
        credits=Decimal("1"),
        credit_type="ama_pra_1",
    )
    return learner


def _delete(client, password=PASSWORD, confirm=True):
    data = {"password": password}
    if confirm:
        data["confirm"] = "on"
    return client.post(reverse("accounts:delete"), data)


@pytest.mark.django_db
def test_deletion_removes_login_and_contact_data_and_keeps_records(rich_learner):
    user = rich_learner
    records = _record_counts(user)
    certificate = Certificate.objects.get(claim__learner=user, status="issued")
    client = _client(user)
    assert "Delete account" in client.get(reverse("accounts:overview")).content.decode()
    assert client.get(reverse("accounts:delete")).status_code == 200

    response = _delete(client)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert PersonalFeed.objects.get(user=user).revoked_at is not None
    assert not ListeningProgress.objects.filter(user=user).exists()
    assert not ExternalCredit.objects.filter(learner=user).exists()
    profile = user.profile
    assert (profile.given_name, profile.family_name, profile.degree) == ("Ada", "Lovelace", "MD")
    assert (profile.npi, profile.licence_number, profile.abim_id, profile.state_province) == ("", "", "", "")
    assert (profile.birth_month, profile.birth_day) == (None, None)
    assert not profile.board_sharing_consent
    # Records stay, and the certificate is still found by its verification code, unchanged.
    assert _record_counts(user) == records
    kept = Certificate.objects.get(code=certificate.code)
    assert (kept.status, kept.learner_name, kept.number) == ("issued", "Ada Lovelace", certificate.number)
    event = AuditEvent.objects.for_object(user).get(action="account.deleted")
    assert "learner@example.org" not in str(event.data)
    # Logged out, and the old login no longer works.
    assert client.get(reverse("credits:my_learning")).status_code == 302
    stranger = Client()
    login = stranger.post(reverse("account_login"), {"login": "learner@example.org", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in stranger.session


@pytest.mark.django_db
def test_deletion_ends_the_learners_other_sessions(learner):
    phone = _client(learner)
    assert phone.get(reverse("credits:my_learning")).status_code == 200

    _delete(_client(learner))

    response = phone.get(reverse("credits:my_learning"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_the_old_address_can_sign_up_again(rich_learner):
    _delete(_client(rich_learner))

    response = Client().post(
        reverse("account_signup"),
        {"email": "learner@example.org", "password1": "a-new-pass-7781", "password2": "a-new-pass-7781"},
    )

    assert response.status_code == 302
    fresh = User.objects.get(email="learner@example.org")
    assert fresh.pk != rich_learner.pk and fresh.is_active
    assert not CreditClaim.objects.filter(learner=fresh).exists()  # a new account starts empty


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("not-my-password", True, "That is not your password."),
        ("", True, "This field is required."),
        (PASSWORD, False, "Tick the box to confirm."),
    ],
)
def test_deletion_refused_without_password_or_confirmation(rich_learner, password, confirm, message):
    client = _client(rich_learner)

    response = _delete(client, password=password, confirm=confirm)

    assert response.status_code == 400
    assert message in response.content.decode()
    rich_learner.refresh_from_db()
    assert rich_learner.is_active and rich_learner.email == "learner@example.org"
    assert EmailAddress.objects.filter(user=rich_learner).exists()
    assert rich_learner.profile.npi == "1234567893"
    assert not AuditEvent.objects.filter(action="account.deleted").exists()
    assert client.get(reverse("credits:my_learning")).status_code == 200


@pytest.mark.django_db
def test_password_guessing_is_rate_limited(learner):
    client = _client(learner)
    statuses = [_delete(client, password=f"guess-{n}").status_code for n in range(7)]
    assert statuses[:5] == [400] * 5
    assert statuses[-1] == 429
    assert _delete(client).status_code == 429  # even the right password waits
    learner.refresh_from_db()
    assert learner.is_active


@pytest.mark.django_db
def test_deletion_needs_login_and_csrf(learner):
    assert Client().get(reverse("accounts:delete")).status_code == 302
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert _delete(client).status_code == 403
    learner.refresh_from_db()
    assert learner.is_active


def _purge(*args) -> str:
    out = StringIO()
    call_command("purge_expired_records", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_purge_reports_by_default_and_respects_the_retention_period(
    make_user, show, provider, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - datetime.timedelta(days=365 * 7 + 30)
    old = make_user("old@example.org", profile=True)
    recent = make_user("recent@example.org", profile=True)
    active = make_user("active@example.org", profile=True)
    old_claim = add_claims(old, show=show, provider=provider, count=1, prefix="old", completed_at=long_ago)[0]
    recent_claim = add_claims(recent, show=show, provider=provider, count=1, prefix="recent")[0]
    add_claims(active, show=show, provider=provider, count=1, prefix="active", completed_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        old_certificate = _certificate(old_claim, pdf=b"%PDF-1.4 old certificate")
    recent_certificate = _certificate(recent_claim)
    pdf_path = Path(old_certificate.pdf.path)
    for user in (old, recent):
        _delete(_client(user))

    report = _purge()

    assert f"account {old.pk}: deleted" in report and "retention period over" in report
    expiry = recent_claim.claimed_at.date() + datetime.timedelta(days=300)  # the activity ends later
    keep_until = expiry.replace(year=expiry.year + 6)
    assert f"account {recent.pk}: deleted" in report and f"kept until {keep_until:%Y-%m-%d}" in report
    assert f"account {active.pk}" not in report
    assert "Dry run: nothing changed" in report
    old_certificate.refresh_from_db()
    assert old_certificate.learner_name == "Ada Lovelace" and pdf_path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = _purge("--execute")

    assert "1 deleted account(s) anonymised." in done
    old_certificate.refresh_from_db()
    assert old_certificate.learner_name == "Name removed after the retention period"
    assert not old_certificate.pdf and not pdf_path.exists()
    old.profile.refresh_from_db()
    assert (old.profile.given_name, old.profile.family_name, old.profile.degree) == ("", "", "")
    assert AuditEvent.objects.for_object(old).filter(action="account.records_anonymised").count() == 1
    # Rows are never deleted: the provider's numbers stay right.
    assert CreditClaim.objects.filter(learner=old).count() == 1
    assert CompletionRecord.objects.filter(learner=old).count() == 1
    # Inside the retention period, and for accounts that were not deleted, nothing changes.
    recent_certificate.refresh_from_db()
    assert recent_certificate.learner_name == "Ada Lovelace"
    assert recent.profile.given_name == "Ada"
    active.profile.refresh_from_db()
    assert active.profile.given_name == "Ada" and active.is_active

    again = _purge("--execute")
    assert "already anonymised" in again and "0 deleted account(s) anonymised." in again
