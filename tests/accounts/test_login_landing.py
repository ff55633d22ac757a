"""Where a login lands when no page asked for it: hosts on their shows, coordinators on their dashboard."""

import pytest
from django.urls import reverse

from testkit.factories import PASSWORD, make_coordinator
from testkit.mfa import give_totp, totp_now

pytestmark = pytest.mark.django_db


def _two_factor_login(client, user, *, next_url: str = "") -> str:
    secret = give_totp(user)
    login = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    data = {"login": user.email, "password": PASSWORD, **({"next": next_url} if next_url else {})}
    response = client.post(login, data)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    return response["Location"]


def test_a_host_lands_on_the_host_dashboard_after_two_factor(client, host):
    assert _two_factor_login(client, host) == reverse("episodes:host_dashboard")


def test_a_coordinator_lands_on_the_coordinator_dashboard_after_two_factor(client, provider):
    coordinator = make_coordinator(provider)
    assert _two_factor_login(client, coordinator) == reverse("credits:coordinator_dashboard")


def test_a_page_that_asked_for_the_login_still_wins(client, host):
    wanted = reverse("account_email")
    assert _two_factor_login(client, host, next_url=wanted) == wanted


def test_a_learner_still_lands_on_the_home_page(client, learner):
    response = client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert response["Location"] == reverse("home")
