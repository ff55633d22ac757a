"""The MFA gate asks whether *this session* completed the second factor, not only whether the
account has an authenticator: a password-only session of a host, coordinator or staff user never
reaches their pages."""

import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from django.urls import reverse

from testkit.factories import PASSWORD
from testkit.mfa import give_totp, mfa_login, totp_now


def _password_only_session(client, user):
    """What a login that skipped the TOTP stage leaves behind: a password record and nothing else."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def _role_url(role, provider):
    return {
        "host": reverse("episodes:host_dashboard"),
        "coordinator": reverse("credits:coordinator_dashboard"),
        "billing": reverse("billing:coordinator_orders", args=[provider.slug]),
    }[role]


@pytest.mark.parametrize("role", ["host", "coordinator", "billing"])
def test_a_password_only_session_is_logged_out_and_asked_for_the_second_factor(
    client, request, provider, role
):
    user = request.getfixturevalue("coordinator" if role == "billing" else role)
    give_totp(user)
    _password_only_session(client, user)
    url = _role_url(role, provider)

    response = client.get(url, follow=True)

    assert response.redirect_chain, f"{url} answered {response.status_code} to a password-only session"
    first_hop = response.redirect_chain[0][0]
    assert first_hop.startswith(reverse("account_login"))
    assert "next=" in first_hop and url.replace("/", "%2F") in first_hop
    body = response.content.decode()
    assert "Log in again with your authenticator code" in body
    # Logged out: the session cannot be reused on any page.
    assert "_auth_user_id" not in client.session
    assert client.get(url).status_code == 302


def test_a_password_only_session_cannot_remove_or_swap_the_device(client, host):
    give_totp(host)
    _password_only_session(client, host)
    for name in ["mfa_deactivate_totp", "mfa_view_recovery_codes", "mfa_index"]:
        _password_only_session(client, host)
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name
    assert Authenticator.objects.filter(user=host, type=Authenticator.Type.TOTP).exists()


def test_a_session_without_any_authentication_record_does_not_pass(client, host):
    give_totp(host)
    client.force_login(host)  # no allauth records at all, like Django's admin login left them
    response = client.get(reverse("episodes:host_dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_mfa_record_of_a_device_since_removed_does_not_pass(client, host):
    mfa_login(client, host)
    Authenticator.objects.filter(user=host).delete()
    give_totp(host)  # a new device, set up elsewhere (e.g. after an admin reset)
    response = client.get(reverse("episodes:host_dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_mfa_record_for_another_user_does_not_pass(client, host, make_user):
    other = make_user("other-host@example.org")
    give_totp(host)
    mfa_login(client, other)
    # The session is now switched to the host, but the records still name the other user.
    client.force_login(host)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(other.pk)
    session.save()
    assert client.get(reverse("episodes:host_dashboard")).status_code == 302


def test_the_real_login_form_stops_at_the_totp_stage_and_the_code_opens_host_pages(client, host):
    secret = give_totp(host)
    response = client.post(reverse("account_login"), {"login": host.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Stopped at the TOTP stage: not logged in, host pages still closed.
    host_page = client.get(reverse("episodes:host_dashboard"))
    assert host_page.status_code == 302
    assert host_page["Location"].startswith(reverse("account_login"))

    client.post(reverse("account_login"), {"login": host.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    page = client.get(reverse("episodes:host_dashboard"))
    assert page.status_code == 200
    assert "Airway Rounds" in page.content.decode()


@pytest.mark.django_db(transaction=True)  # allauth announces the new device on commit
def test_a_host_without_a_device_sets_one_up_and_that_session_then_passes(client, host):
    response = client.post(reverse("account_login"), {"login": host.email, "password": PASSWORD})
    assert response.status_code == 302  # no device yet: logged in with the password
    response = client.get(reverse("episodes:host_dashboard"))
    assert response["Location"] == reverse("mfa_activate_totp")

    # allauth asks for the password again (a recent reauthentication) before showing the secret.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=host, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("episodes:host_dashboard")).status_code == 200


def test_a_learner_with_a_password_only_session_is_not_disturbed(client, learner):
    client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert client.get(reverse("home")).status_code == 200
    assert "_auth_user_id" in client.session
