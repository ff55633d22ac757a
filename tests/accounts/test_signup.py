"""Sign-up, verification, login, password reset and email change through allauth, as users see them."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import User
from testkit.factories import PASSWORD

GOOD = {
    "email": "new@example.org",
    "password1": "lidocaine-bolus-77",
    "password2": "lidocaine-bolus-77",
}


def _link(message) -> str:
    match = re.search(r"https?://[^\s]+", message.body)
    assert match is not None, message.body
    return match.group(0)


@pytest.mark.django_db
def test_signup_sends_a_verification_link_that_confirms_the_address(client):
    response = client.post(reverse("account_signup"), GOOD)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    link = _link(mail.outbox[0])
    assert "/accounts/confirm-email/" in link

    path = link.split("testserver", 1)[1]
    # Opening the link confirms (ACCOUNT_CONFIRM_EMAIL_ON_GET): no second "Confirm" page.
    assert client.get(path).status_code == 302
    assert EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db
def test_login_is_refused_until_the_email_is_verified(client, make_user):
    make_user("unverified@example.org", verified=False)
    response = client.post(
        reverse("account_login"), {"login": "unverified@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_verified_user_logs_in_with_email_and_logs_out(client, make_user):
    make_user("ok@example.org")
    response = client.post(reverse("account_login"), {"login": "OK@Example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.org", ""])
def test_invalid_email_is_refused_and_nothing_written(client, email):
    response = client.post(reverse("account_signup"), {**GOOD, "email": email})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 10 characters"),
        ("1234567890123", "entirely numeric"),
        ("password123", "too common"),
    ],
)
def test_weak_password_is_refused(client, password, message):
    response = client.post(reverse("account_signup"), {**GOOD, "password1": password, "password2": password})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["password1"])
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_signup_does_not_reveal_the_account(client, make_user):
    make_user("taken@example.org")
    fresh = client.post(reverse("account_signup"), {**GOOD, "email": "fresh@example.org"})
    client.logout()
    dup = client.post(reverse("account_signup"), {**GOOD, "email": "Taken@example.org"})
    # Same answer as a fresh sign-up: off to "verification sent", no error naming the address.
    assert dup.status_code == fresh.status_code == 302
    assert dup["Location"] == fresh["Location"]
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    # The owner of the address is told by email instead.
    assert any("taken@example.org" in m.to and "already" in m.body.lower() for m in mail.outbox)


@pytest.mark.django_db
def test_wrong_verification_key_is_refused(client, make_user):
    user = make_user("wait@example.org", verified=False)
    response = client.get(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert response.status_code == 400
    assert "expired or is invalid" in response.content.decode()
    response = client.post(reverse("account_confirm_email", args=["not-a-real-key"]))
    assert response.status_code in (302, 400, 404)
    assert not EmailAddress.objects.get(user=user).verified


@pytest.mark.django_db
def test_password_reset_does_not_reveal_unknown_addresses(client, make_user):
    make_user("known@example.org")
    known = client.post(reverse("account_reset_password"), {"email": "known@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    reset = [m for m in mail.outbox if "known@example.org" in m.to]
    assert reset and "/accounts/password/reset/key/" in reset[0].body


@pytest.mark.django_db
def test_password_reset_link_sets_a_new_password(client, make_user):
    make_user("forgot@example.org")
    client.post(reverse("account_reset_password"), {"email": "forgot@example.org"})
    path = _link(mail.outbox[-1]).split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    done = client.post(action, {"password1": "a-brand-new-pass-9", "password2": "a-brand-new-pass-9"})
    assert done.status_code == 302
    assert User.objects.get(email="forgot@example.org").check_password("a-brand-new-pass-9")


@pytest.mark.django_db
def test_email_change_needs_verification_of_the_new_address(client, make_user):
    user = make_user("old@example.org")
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # asked before a change
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new-address@example.org"})
    assert response.status_code == 302
    new = EmailAddress.objects.get(email="new-address@example.org")
    assert not new.verified
    assert any("new-address@example.org" in m.to for m in mail.outbox)
    user.refresh_from_db()
    assert user.email == "old@example.org"


@pytest.mark.django_db
def test_failed_logins_are_rate_limited(client, make_user):
    make_user("target@example.org")
    messages = []
    for _ in range(7):
        response = client.post(reverse("account_login"), {"login": "target@example.org", "password": "wrong"})
        messages.append(response.content.decode())
    assert "Too many failed login attempts" not in messages[0]
    assert "Too many failed login attempts" in messages[-1]
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("account_login"), {"login": "target@example.org", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_up_from_an_episode_returns_to_the_post_test(client):
    target = "/activities/1/post-test/"
    client.post(f"{reverse('account_signup')}?next={target}", {**GOOD, "next": target})
    path = _link(mail.outbox[0]).split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == target
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_confirming_in_another_browser_does_not_log_in(client):
    from django.test import Client

    client.post(reverse("account_signup"), GOOD)
    path = _link(mail.outbox[0]).split("testserver", 1)[1]
    other = Client()
    response = other.post(path)
    assert response.status_code == 302
    assert "_auth_user_id" not in other.session
    assert EmailAddress.objects.get(email=GOOD["email"]).verified
