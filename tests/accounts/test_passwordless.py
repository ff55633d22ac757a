"""Accounts without a password (issue 15): sign-up asks only the email, the confirmation link signs
in, later logins use an emailed code, a password can be set later; reauthentication (deleting the
account, two-factor pages) works by code; hosts still pass their TOTP after a code."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account import app_settings as allauth_account_settings
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from testkit.mfa import give_totp, totp_now

pytestmark = pytest.mark.django_db

EMAIL = "new@example.org"
CODE = re.compile(r"\b[A-Z]{4}-[A-Z]{4}\b")


def _sign_up(client, next_url: str | None = None, email: str = EMAIL):
    data = {"email": email, "password1": ""}
    if next_url:
        data["next"] = next_url
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 302
    return response


def _link(email: str = EMAIL) -> str:
    message = next(m for m in mail.outbox if email in m.to and "/accounts/confirm-email/" in m.body)
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+", str(message.body))
    assert match is not None
    return match.group(0).split("testserver", 1)[1]


def _last_code(email: str) -> str:
    message = [m for m in mail.outbox if email in m.to][-1]
    match = CODE.search(str(message.body))
    assert match is not None, message.body
    return match.group(0)


def _passwordless(email: str = EMAIL) -> User:
    user = User.objects.create_user(email=email, password=None)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def _request_code(client, email: str, next_url: str | None = None):
    url = reverse("account_request_login_code")
    if next_url:
        url += f"?next={next_url}"
    return client.post(url, {"email": email, **({"next": next_url} if next_url else {})})


def _reauthenticate_by_code(client, email: str = EMAIL) -> None:
    """Confirm who the logged-in session is with an emailed code (changing the address or setting a
    password asks it: ACCOUNT_REAUTHENTICATION_REQUIRED)."""
    client.post(reverse("account_request_reauthentication_code"), {"recipient": email})
    response = client.post(reverse("account_confirm_reauthentication_code"), {"code": _last_code(email)})
    assert response.status_code == 302


def _logged_in_as(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- Sign-up ------------------------------------------------------------------------------------


def test_sign_up_with_the_email_only_makes_an_account_without_a_password(client, activity):
    claim = reverse("credits:claim", args=[activity.pk])
    _sign_up(client, claim)
    user = User.objects.get(email=EMAIL)
    assert not user.has_usable_password()
    # The confirmation link, in the browser that signed up, signs in and leads to the claim page.
    response = client.get(_link())
    assert response.status_code == 302
    assert response["Location"] == claim
    assert _logged_in_as(client) == user.pk
    assert EmailAddress.objects.get(user=user).verified


def test_the_sign_up_email_says_no_password_is_needed(client):
    _sign_up(client)
    [message] = mail.outbox
    assert "No password needed" in message.body
    assert "No password needed" in message.alternatives[0][0]


def test_a_password_typed_at_sign_up_is_still_checked_and_kept(client):
    response = client.post(reverse("account_signup"), {"email": EMAIL, "password1": "short1"})
    assert response.status_code == 200
    assert "at least 10 characters" in " ".join(response.context["form"].errors["password1"])
    assert not User.objects.exists()
    client.post(reverse("account_signup"), {"email": EMAIL, "password1": "lidocaine-bolus-77"})
    user = User.objects.get(email=EMAIL)
    assert user.check_password("lidocaine-bolus-77")
    assert "No password needed" not in mail.outbox[-1].body


def test_the_sign_up_page_labels_the_password_optional(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert "Password (optional)" in page
    assert 'name="password1"' in page
    assert re.search(r'<input type="password" name="password1"[^>]*\brequired\b', page) is None
    assert "log in with a code we email you" in page
    # Every hint is the one its input points to (aria-describedby).
    for target in re.findall(r'aria-describedby="([^"]+)"', page):
        assert f'id="{target}"' in page


def test_the_episode_panel_asks_only_the_email(client, episode, activity):
    page = client.get(episode.get_absolute_url()).content.decode()
    panel = page[page.index('class="stacked-form panel-signup"') :]
    panel = panel[: panel.index("</form>")]
    assert 'type="email"' in panel
    assert "password" not in panel.lower().replace("no password needed", "")


# --- Login by code ------------------------------------------------------------------------------


def test_the_login_page_offers_an_emailed_code_that_keeps_the_destination(client):
    page = client.get(reverse("account_login") + "?next=/account/").content.decode()
    assert "Send me a sign-in code" in page
    assert f'href="{reverse("account_request_login_code")}?next=%2Faccount%2F"' in page


def test_a_learner_without_a_password_logs_in_by_code_and_reaches_the_destination(client):
    user = _passwordless()
    response = _request_code(client, EMAIL, "/account/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_confirm_login_code")
    assert _logged_in_as(client) is None
    response = client.post(
        reverse("account_confirm_login_code"), {"code": _last_code(EMAIL), "next": "/account/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert _logged_in_as(client) == user.pk
    page = client.get("/account/").content.decode()
    assert "None: you log in with a code we email you" in page


def test_a_password_does_not_log_in_an_account_without_one(client):
    _passwordless()
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": ""})
    assert response.status_code == 200
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": "anything-at-all"})
    assert response.status_code == 200
    assert _logged_in_as(client) is None


def test_a_wrong_code_is_refused_and_three_end_the_code(client):
    _passwordless()
    _request_code(client, EMAIL)
    code = _last_code(EMAIL)
    confirm = reverse("account_confirm_login_code")
    response = client.post(confirm, {"code": "BBBB-CCCC"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Incorrect code."]
    assert _logged_in_as(client) is None
    client.post(confirm, {"code": "not a code"})
    response = client.post(confirm, {"code": "DDDD-FFFF"})  # the third wrong try ends the code
    assert response.status_code == 302
    assert _logged_in_as(client) is None
    # The right code no longer works: the learner must ask for a new one.
    response = client.post(confirm, {"code": code}, follow=True)
    assert _logged_in_as(client) is None
    assert response.redirect_chain[-1][0].startswith(reverse("account_request_login_code"))


def test_an_expired_code_is_refused(client, monkeypatch):
    _passwordless()
    _request_code(client, EMAIL)
    code = _last_code(EMAIL)
    later = time.time() + settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_login_code"))
    assert _logged_in_as(client) is None


def test_asking_for_codes_is_rate_limited_per_address(client):
    _passwordless()
    for _ in range(3):
        assert _request_code(Client(), EMAIL).status_code == 302
    sent = len(mail.outbox)
    response = _request_code(Client(), EMAIL)
    assert response.status_code == 200
    assert "Too many failed login attempts" in " ".join(response.context["form"].errors["email"])
    assert len(mail.outbox) == sent


def test_a_code_for_an_unknown_address_reveals_nothing_and_tells_the_mailbox(client):
    _passwordless()
    known = _request_code(Client(), EMAIL)
    unknown = _request_code(Client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert urlsplit(known["Location"]).path == urlsplit(unknown["Location"]).path
    [message] = [m for m in mail.outbox if "nobody@example.org" in m.to]
    assert "asked for a code to log in to podcastcme as nobody@example.org" in message.body
    assert "reset the password" not in message.body
    assert CODE.search(message.body) is None


def test_a_deleted_account_cannot_log_in_by_code(client):
    from podcastcme.account_deletion import account_delete

    user = _passwordless()
    account_delete(user=user)
    _request_code(client, EMAIL)
    assert all(CODE.search(m.body) is None for m in mail.outbox)
    assert _logged_in_as(client) is None


# --- Password set later -------------------------------------------------------------------------


def test_a_learner_without_a_password_sets_one_from_the_account_page(client):
    user = _passwordless()
    client.force_login(user)
    page = client.get(reverse("accounts:overview")).content.decode()
    assert f'href="{reverse("account_set_password")}"' in page
    _reauthenticate_by_code(client)
    response = client.post(reverse("account_set_password"), {"password1": "short", "password2": "short"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.has_usable_password()
    new = "a-brand-new-pass-9"
    response = client.post(reverse("account_set_password"), {"password1": new, "password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert "change" in client.get(reverse("accounts:overview")).content.decode()


# --- Reauthentication: deleting an account without a password -----------------------------------


def test_deleting_an_account_without_a_password_asks_an_emailed_code_first(client):
    user = _passwordless()
    client.force_login(user)
    delete = reverse("accounts:delete")
    # Nothing is deleted without the code, even with the box ticked.
    response = client.post(delete, {"confirm": "on"})
    assert response.status_code == 302
    ask = response["Location"]
    assert urlsplit(ask).path == reverse("account_request_reauthentication_code")
    assert parse_qs(urlsplit(ask).query)["next"] == [delete]
    assert User.objects.get(pk=user.pk).is_active

    response = client.post(ask, {"recipient": EMAIL, "next": delete})
    assert response.status_code == 302
    message = [m for m in mail.outbox if EMAIL in m.to][-1]
    assert "confirm it is you" in message.subject.lower()
    response = client.post(
        reverse("account_confirm_reauthentication_code"), {"code": _last_code(EMAIL), "next": delete}
    )
    assert response.status_code == 302
    assert response["Location"] == delete

    page = client.get(delete)
    assert page.status_code == 200
    assert "password" not in page.context["form"].fields
    assert "You have just confirmed who you are" in page.content.decode()
    response = client.post(delete, {"confirm": "on"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active


def test_a_wrong_reauthentication_code_deletes_nothing(client):
    user = _passwordless()
    client.force_login(user)
    delete = reverse("accounts:delete")
    client.post(reverse("account_request_reauthentication_code"), {"recipient": EMAIL, "next": delete})
    confirm = reverse("account_confirm_reauthentication_code")
    response = client.post(confirm, {"code": "BBBB-CCCC", "next": delete})
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Incorrect code."]
    client.post(confirm, {"code": "CCCC-DDDD", "next": delete})
    response = client.post(confirm, {"code": "DDDD-FFFF", "next": delete})  # third: the code ends
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_request_reauthentication_code"))
    response = client.post(delete, {"confirm": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).is_active


def test_an_expired_reauthentication_sends_back_for_a_new_code(client, monkeypatch):
    user = _passwordless()
    client.force_login(user)
    delete = reverse("accounts:delete")
    client.post(reverse("account_request_reauthentication_code"), {"recipient": EMAIL, "next": delete})
    client.post(reverse("account_confirm_reauthentication_code"), {"code": _last_code(EMAIL)})
    assert client.get(delete).status_code == 200
    later = time.time() + allauth_account_settings.REAUTHENTICATION_TIMEOUT + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(delete, {"confirm": "on"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_request_reauthentication_code")
    assert User.objects.get(pk=user.pk).is_active


def test_an_account_with_a_password_still_deletes_with_its_password(client, learner):
    client.force_login(learner)
    page = client.get(reverse("accounts:delete"))
    assert page.status_code == 200
    assert "password" in page.context["form"].fields


# --- Hosts: a code is a first factor only -------------------------------------------------------


def test_a_host_without_a_password_logging_in_by_code_must_still_pass_totp(client, show):
    from episodes.models import ShowHost

    host = _passwordless("host-nopass@example.org")
    ShowHost.objects.create(show=show, user=host)
    secret = give_totp(host)
    _request_code(client, host.email)
    response = client.post(reverse("account_confirm_login_code"), {"code": _last_code(host.email)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # Stopped at the TOTP stage: not logged in, host pages closed.
    assert _logged_in_as(client) is None
    dashboard = client.get(reverse("episodes:host_dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("account_login"))
    # A wrong TOTP code does not open them either.
    _request_code(client, host.email)
    client.post(reverse("account_confirm_login_code"), {"code": _last_code(host.email)})
    wrong = "000000" if totp_now(secret) != "000000" else "111111"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert response.status_code == 200
    assert _logged_in_as(client) is None
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert _logged_in_as(client) == host.pk
    assert client.get(reverse("episodes:host_dashboard")).status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth announces the new device on commit
def test_a_host_without_a_password_sets_up_totp_after_confirming_by_code(client, show):
    from episodes.models import ShowHost

    host = _passwordless("host-nopass@example.org")
    ShowHost.objects.create(show=show, user=host)
    _request_code(client, host.email)
    client.post(reverse("account_confirm_login_code"), {"code": _last_code(host.email)})
    assert _logged_in_as(client) == host.pk  # no device yet
    response = client.get(reverse("episodes:host_dashboard"))
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks again who it is before showing the secret: no password, so an emailed code.
    response = client.get(reverse("mfa_activate_totp"))
    assert urlsplit(response["Location"]).path == reverse("account_request_reauthentication_code")
    client.post(reverse("account_request_reauthentication_code"), {"recipient": host.email})
    client.post(reverse("account_confirm_reauthentication_code"), {"code": _last_code(host.email)})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=host, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("episodes:host_dashboard")).status_code == 200


# --- A password chosen before the address was ever proven -----------------------------------------


def test_a_code_login_that_proves_the_address_forgets_a_password_chosen_before(client):
    """Someone signs up with another person's address and a password of their own and never
    confirms it; the owner later logs in by code (e.g. after the "you already have an account"
    email). The owner gets the account, and the stranger's password no longer opens it."""
    from audit.models import AuditEvent

    Client().post(reverse("account_signup"), {"email": EMAIL, "password1": "strangers-pass-42"})
    stranger = User.objects.get(email=EMAIL)
    assert stranger.check_password("strangers-pass-42")
    assert not EmailAddress.objects.get(user=stranger).verified

    _request_code(client, EMAIL)
    response = client.post(reverse("account_confirm_login_code"), {"code": _last_code(EMAIL)}, follow=True)
    assert _logged_in_as(client) == stranger.pk
    assert "no longer works" in response.content.decode()
    user = User.objects.get(pk=stranger.pk)
    assert not user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    assert AuditEvent.objects.filter(action="account.unproven_password_forgotten").count() == 1
    # This session stays logged in; the stranger's password does not log in.
    assert client.get(reverse("accounts:overview")).status_code == 200
    other = Client()
    other.post(reverse("account_login"), {"login": EMAIL, "password": "strangers-pass-42"})
    assert _logged_in_as(other) is None


def test_a_code_login_keeps_the_password_of_an_account_already_proven(client, learner):
    _request_code(client, learner.email)
    client.post(reverse("account_confirm_login_code"), {"code": _last_code(learner.email)})
    assert _logged_in_as(client) == learner.pk
    learner.refresh_from_db()
    assert learner.has_usable_password()


def test_the_confirmation_link_keeps_the_password_typed_at_sign_up(client):
    client.post(reverse("account_signup"), {"email": EMAIL, "password1": "lidocaine-bolus-77"})
    client.get(_link())
    assert User.objects.get(email=EMAIL).check_password("lidocaine-bolus-77")


def test_a_code_login_that_proves_a_pending_address_change_ends_the_other_holders_access(client):
    """Pre-hijacking through an email change: a stranger with an account of their own (address
    proven, password and a session of their own) asks to change its address to the owner's and
    never confirms. The owner, told "you already have an account", logs in by code to that address.
    The stranger's password and sessions must not open the account the owner now uses."""
    from audit.models import AuditEvent

    stranger = User.objects.create_user(email="stranger@example.org", password="strangers-pass-42")
    EmailAddress.objects.create(user=stranger, email="stranger@example.org", verified=True, primary=True)
    EmailAddress.objects.create(user=stranger, email=EMAIL, verified=False, primary=False)
    stranger_session = Client()
    stranger_session.force_login(stranger)
    assert stranger_session.get(reverse("accounts:overview")).status_code == 200

    _request_code(client, EMAIL)
    response = client.post(reverse("account_confirm_login_code"), {"code": _last_code(EMAIL)}, follow=True)
    assert _logged_in_as(client) == stranger.pk
    assert "no longer works" in response.content.decode()
    user = User.objects.get(pk=stranger.pk)
    assert not user.has_usable_password()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [(EMAIL, True)]
    assert AuditEvent.objects.filter(action="account.unproven_password_forgotten").count() == 1
    assert client.get(reverse("accounts:overview")).status_code == 200
    # The stranger's session is over and their password no longer logs in.
    assert stranger_session.get(reverse("accounts:overview")).status_code == 302
    other = Client()
    other.post(reverse("account_login"), {"login": EMAIL, "password": "strangers-pass-42"})
    assert _logged_in_as(other) is None


def test_a_code_login_that_proves_a_pending_change_ends_other_sessions_without_a_password(client):
    """The same with a stranger who has no password: their session must end too."""
    stranger = _passwordless("stranger@example.org")
    EmailAddress.objects.create(user=stranger, email=EMAIL, verified=False, primary=False)
    stranger_session = Client()
    stranger_session.force_login(stranger)

    _request_code(client, EMAIL)
    client.post(reverse("account_confirm_login_code"), {"code": _last_code(EMAIL)})
    assert _logged_in_as(client) == stranger.pk
    assert client.get(reverse("accounts:overview")).status_code == 200
    assert stranger_session.get(reverse("accounts:overview")).status_code == 302


def test_an_address_added_later_and_confirmed_by_link_keeps_the_password_and_the_session(client):
    """A session that logged in by code, then adds an address and opens its confirmation link: the
    link is no code login, so nothing is forgotten and nobody is logged out."""
    user = User.objects.create_user(email="owner@example.org", password="owners-pass-4242")
    EmailAddress.objects.create(user=user, email="owner@example.org", verified=True, primary=True)
    _request_code(client, "owner@example.org")
    client.post(reverse("account_confirm_login_code"), {"code": _last_code("owner@example.org")})
    assert _logged_in_as(client) == user.pk
    _reauthenticate_by_code(client, "owner@example.org")
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.org"})
    client.get(_link("second@example.org"))
    assert EmailAddress.objects.get(email="second@example.org").verified
    assert User.objects.get(pk=user.pk).check_password("owners-pass-4242")
    assert client.get(reverse("accounts:overview")).status_code == 200


# --- Reauthentication: changing the address or setting a password ---------------------------------


def _stale_login(client, user) -> None:
    """A session whose last proof of identity is older than allauth's reauthentication window (a
    phone left logged in, a stolen session cookie): force_login records no authentication."""
    client.force_login(user)


def test_changing_the_address_of_an_account_without_a_password_asks_an_emailed_code_first(client):
    user = _passwordless()
    _stale_login(client, user)
    mail.outbox.clear()
    response = client.post(reverse("account_email"), {"action_add": "", "email": "thief@example.org"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_request_reauthentication_code")
    assert not EmailAddress.objects.filter(email="thief@example.org").exists()
    assert not any("thief@example.org" in m.to for m in mail.outbox)

    _reauthenticate_by_code(client)
    client.post(reverse("account_email"), {"action_add": "", "email": "new-address@example.org"})
    assert EmailAddress.objects.filter(user=user, email="new-address@example.org", verified=False).exists()


def test_changing_the_address_with_a_password_asks_the_password_first(client, learner):
    _stale_login(client, learner)
    response = client.post(reverse("account_email"), {"action_add": "", "email": "thief@example.org"})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_reauthenticate")
    assert not EmailAddress.objects.filter(email="thief@example.org").exists()


def test_setting_a_password_on_a_stale_session_asks_an_emailed_code_first(client):
    user = _passwordless()
    _stale_login(client, user)
    new = "a-brand-new-pass-9"
    response = client.post(reverse("account_set_password"), {"password1": new, "password2": new})
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("account_request_reauthentication_code")
    user.refresh_from_db()
    assert not user.has_usable_password()
