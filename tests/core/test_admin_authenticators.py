"""The admin shows who has which second factor, never the TOTP secret or the recovery codes; it is
read-only, and its only action is a superuser's audited reset of a user's two-factor devices."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from testkit.mfa import give_totp, mfa_login


@pytest.fixture
def superuser(make_user):
    return make_user("root@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    mfa_login(client, superuser)
    return client


def _secrets_of(user, totp_secret):
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    values = [totp_secret, totp.data["secret"], codes.data["seed"]]
    values += RecoveryCodes(codes).generate_codes()
    return totp, codes, values


def test_the_admin_pages_never_show_a_secret_or_a_recovery_code(admin_client, host):
    secret = give_totp(host)
    totp, codes, values = _secrets_of(host, secret)
    pages = [
        admin_client.get(reverse("admin:mfa_authenticator_changelist")),
        admin_client.get(reverse("admin:mfa_authenticator_change", args=[totp.pk])),
        admin_client.get(reverse("admin:mfa_authenticator_change", args=[codes.pk])),
        admin_client.get(reverse("admin:mfa_authenticator_history", args=[totp.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        for value in values:
            assert value not in body
            assert value.lower() not in body.lower()
        assert "used_mask" not in body and '"secret"' not in body
    changelist = pages[0].content.decode()
    assert host.email in changelist and "TOTP" in changelist


def test_the_authenticator_admin_is_read_only(admin_client, host):
    secret = give_totp(host)
    totp = Authenticator.objects.get(user=host, type=Authenticator.Type.TOTP)
    assert admin_client.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    admin_client.post(
        reverse("admin:mfa_authenticator_change", args=[totp.pk]),
        {"user": host.pk, "type": "totp", "data": '{"secret": "AAAA"}'},
    )
    totp.refresh_from_db()
    from allauth.mfa.utils import decrypt

    assert decrypt(totp.data["secret"]) == secret


def test_a_superuser_resets_a_users_two_factor_with_an_audit_row(admin_client, superuser, host):
    secret = give_totp(host)
    totp = Authenticator.objects.get(user=host, type=Authenticator.Type.TOTP)
    host_client = Client()
    mfa_login(host_client, host, secret=secret)
    assert host_client.get(reverse("episodes:host_dashboard")).status_code == 200

    confirm = admin_client.get(reverse("admin:mfa_authenticator_delete", args=[totp.pk]))
    assert confirm.status_code == 200
    assert secret not in confirm.content.decode()
    assert "Recovery codes" in confirm.content.decode()  # the reset removes those too
    response = admin_client.post(reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"})
    assert response.status_code == 302

    # The device and its recovery codes are gone; the host must set up a new device.
    assert not Authenticator.objects.filter(user=host).exists()
    event = AuditEvent.objects.get(action="account.mfa_reset")
    assert event.actor_id == superuser.pk
    assert event.object_id == str(host.pk)
    assert event.data["types"] == ["recovery_codes", "totp"]
    assert host_client.get(reverse("episodes:host_dashboard"))["Location"] == reverse("mfa_activate_totp")


def test_staff_who_are_not_superusers_cannot_reset_two_factor(client, make_user, host):
    give_totp(host)
    staff = make_user("staff@example.org", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="mfa"))
    mfa_login(client, staff)
    totp = Authenticator.objects.get(user=host, type=Authenticator.Type.TOTP)
    assert client.get(reverse("admin:mfa_authenticator_changelist")).status_code == 200
    response = client.post(reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Authenticator.objects.filter(user=host).count() == 2
    assert not AuditEvent.objects.filter(action="account.mfa_reset").exists()


def test_the_bulk_delete_action_is_not_offered(admin_client, host):
    give_totp(host)
    body = admin_client.get(reverse("admin:mfa_authenticator_changelist")).content.decode()
    assert "delete_selected" not in body
