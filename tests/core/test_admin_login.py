"""The admin has no login of its own: /admin/login/ leads to allauth's login, with its rate limits
and its TOTP stage, and a password alone never opens /admin/ (or, for a staff host, /host/)."""

import pytest
from django.urls import reverse

from episodes.models import ShowHost
from testkit.factories import PASSWORD
from testkit.mfa import give_totp, totp_now


@pytest.fixture
def superuser(make_user):
    user = make_user("root@example.org", is_staff=True, is_superuser=True)
    give_totp(user)
    return user


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_a_password_posted_to_the_admin_login_does_not_open_the_admin(client, superuser):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": superuser.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code != 200 or "Site administration" not in response.content.decode()
    assert not _logged_in(client)
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert "Site administration" not in client.get("/admin/", follow=True).content.decode()


def test_the_admin_login_page_is_allauths_login_with_next_kept(client, db):
    response = client.get("/admin/login/?next=/admin/credits/activity/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2Fcredits%2Factivity%2F"

    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_login") + "?next=%2Fadmin%2F"
    assert response.status_code == 200


def test_an_unsafe_next_is_not_kept(client, db):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=%2Fadmin%2F"


def test_the_admin_login_asks_for_the_totp_code_and_then_opens_the_admin(client, superuser):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"login": superuser.email, "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    # The password is right, but the session stops at allauth's TOTP stage.
    assert response.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert not _logged_in(client)
    assert client.get("/admin/").status_code == 302

    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    secret = decrypt(Authenticator.objects.get(user=superuser, type=Authenticator.Type.TOTP).data["secret"])
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Site administration" in page.content.decode()


def test_forty_wrong_admin_passwords_in_a_minute_are_throttled(client, superuser):
    answers = []
    for attempt in range(40):
        response = client.post(
            "/admin/login/",
            {"username": superuser.email, "password": f"wrong-{attempt}", "next": "/admin/"},
            follow=True,
        )
        answers.append(response.status_code)
    assert 429 in answers, answers
    assert answers[-1] == 429
    assert not _logged_in(client)


def test_failed_admin_logins_hit_allauths_failed_login_limit(client, superuser):
    for attempt in range(10):
        client.post(
            "/admin/login/",
            {"login": superuser.email, "password": f"wrong-{attempt}"},
            follow=True,
        )
    # Even the right password is now refused for a while.
    response = client.post("/admin/login/", {"login": superuser.email, "password": PASSWORD}, follow=True)
    assert "Too many failed login attempts" in response.content.decode()
    assert not _logged_in(client)
    assert reverse("mfa_authenticate") not in [url for url, _ in response.redirect_chain]


def test_a_staff_host_logging_in_at_the_admin_with_a_password_cannot_reach_host_pages(
    client, superuser, show
):
    ShowHost.objects.create(show=show, user=superuser)
    client.post("/admin/login/", {"username": superuser.email, "password": PASSWORD}, follow=True)
    client.post("/admin/login/", {"login": superuser.email, "password": PASSWORD}, follow=True)
    response = client.get(reverse("episodes:host_dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_logout_goes_through_allauth(client, superuser):
    from testkit.mfa import mfa_login

    mfa_login(client, superuser)
    assert client.get("/admin/").status_code == 200
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not _logged_in(client)
    assert client.get("/admin/").status_code == 302


def test_admin_password_change_is_allauths(client, superuser):
    from testkit.mfa import mfa_login

    mfa_login(client, superuser)
    response = client.get("/admin/password_change/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
