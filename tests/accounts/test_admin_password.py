"""Issue 12, finding 12: the admin's "change password" form for another user writes an audit row
(who set whose password, when; never the password), and the learner profile's degree attestation
is the learner's own: read-only in the admin."""

import pytest
from django.urls import reverse

from accounts.models import LearnerProfile
from audit.models import AuditEvent
from testkit.mfa import mfa_login

NEW_PASSWORD = "a-new-long-passphrase-2026"


@pytest.fixture
def superuser(make_user):
    return make_user("root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    mfa_login(client, superuser)
    return client


def test_setting_another_users_password_in_the_admin_is_audited(admin_client, superuser, learner):
    url = reverse("admin:auth_user_password_change", args=[learner.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.for_object(learner).get(action="account.password_set_by_admin")
    assert event.actor == superuser
    assert event.data == {"usable_password": True}
    assert NEW_PASSWORD not in str(event.data)


def test_a_refused_password_change_writes_no_audit_row(admin_client, learner):
    url = reverse("admin:auth_user_password_change", args=[learner.pk])
    response = admin_client.post(url, {"password1": NEW_PASSWORD, "password2": "something else"})
    assert response.status_code == 200  # the form again, with Django's error
    learner.refresh_from_db()
    assert not learner.check_password(NEW_PASSWORD)
    assert not AuditEvent.objects.filter(action="account.password_set_by_admin").exists()


def test_the_degree_attestation_is_read_only_in_the_admin(admin_client, learner):
    profile = LearnerProfile.objects.get(user=learner)
    body = admin_client.get(
        reverse("admin:accounts_learnerprofile_change", args=[profile.pk])
    ).content.decode()
    assert "degree equivalence attested at" in body.lower()
    assert 'name="degree_equivalence_attested_at' not in body
