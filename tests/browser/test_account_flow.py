"""A newcomer signs up, verifies, completes the profile; a host sets up TOTP; both log out."""

import re

from django.core import mail

from accounts.models import LearnerProfile, User
from testkit.factories import PASSWORD
from testkit.mfa import totp_now


def test_sign_up_verify_log_in_complete_profile_and_log_out(page, live_server):
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("new.doctor@example.org")
    page.locator("#id_password1").fill("propofol-drip-2026")
    page.get_by_role("button", name="Sign Up").click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", mail.outbox[0].body).group(0)
    # Opening the link confirms the address (no "Confirm" button page).
    page.goto(link.replace("http://testserver", live_server.url))
    # Confirming in the browser that signed up logs the new user in.
    page.get_by_role("link", name="Account").wait_for()
    page.get_by_role("button", name="Log out").first.click()
    page.get_by_role("link", name="Log in").wait_for()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("new.doctor@example.org")
    page.get_by_label("Password").fill("propofol-drip-2026")
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Account").wait_for()

    page.goto("/account/profile/")
    page.get_by_label("Legal given name").fill("Zoë")
    page.get_by_label("Legal family name").fill("D'Arcy")
    page.get_by_label("Degree or credential").select_option("DO")
    page.get_by_label("NPI").fill("1234567893")
    page.get_by_label("Birth month").select_option("2")
    page.get_by_label("Birth day").select_option("29")
    page.get_by_label("I consent to share my completions").check()
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile has been saved.").wait_for()

    profile = LearnerProfile.objects.get(user__email="new.doctor@example.org")
    assert profile.legal_name == "Zoë D'Arcy"
    assert profile.is_physician and profile.profile_is_complete_for_credit
    assert profile.board_sharing_consent_at is not None

    page.get_by_role("button", name="Log out").first.click()
    page.get_by_role("link", name="Log in").wait_for()


def test_profile_errors_are_shown_next_to_the_field(page, make_user):
    make_user("err@example.org")
    _log_in(page, "err@example.org")
    page.goto("/account/profile/")
    page.get_by_label("NPI").fill("1234567890")
    page.get_by_label("Birth month").select_option("2")
    page.get_by_label("Birth day").select_option("30")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("This NPI's check digit is wrong").wait_for()
    page.get_by_text("02/30 is not a date.").wait_for()
    assert not LearnerProfile.objects.filter(user__email="err@example.org", npi="1234567890").exists()


def _log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="Account").wait_for()


def test_host_is_made_to_set_up_totp_before_the_host_pages(page, host):
    _log_in(page, "host@example.org")
    page.get_by_role("link", name="Host").click()
    page.get_by_text("must use two-factor authentication").wait_for()
    # allauth asks for the password again before a security change when the login is not fresh.
    if page.get_by_role("heading", name="Confirm Access").count():
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()

    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret)
    page.get_by_label("Authenticator code").fill(totp_now(secret))
    page.get_by_role("button", name="Activate").click()

    page.goto("/host/")
    page.get_by_role("heading", name="Your shows").wait_for()
    assert page.get_by_text("Airway Rounds").count() >= 1
    user = User.objects.get(email="host@example.org")
    assert user.authenticator_set.filter(type="totp").exists()

    page.get_by_role("button", name="Log out").first.click()
    page.get_by_role("link", name="Log in").wait_for()
    # Logging in again now asks for the second factor.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("host@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    assert page.get_by_label("Code").count() == 1
