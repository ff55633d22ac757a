"""A learner signs up from the post-test link and confirms the address (issue 15, item 3).

Two Django clients are two browsers: the one that signed up, and the phone's mail app opening the
link with no session. Either way the learner ends up at the post-test, and the link confirms on
the first open (no extra "Confirm" button page).
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User

PASSWORD = "lidocaine-bolus-77"


def _sign_up(client, next_url: str | None, email: str = "new@example.org"):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 302
    return response


def _confirmation_link(email: str = "new@example.org") -> str:
    message = next(m for m in mail.outbox if email in m.to)
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+", str(message.body))
    assert match is not None, message.body
    return match.group(0).split("testserver", 1)[1]


@pytest.fixture
def post_test(activity):
    return reverse("credits:post_test", args=[activity.pk])


@pytest.mark.django_db
def test_link_opened_in_another_browser_leads_to_the_post_test_after_logging_in(post_test):
    _sign_up(Client(), post_test)
    link = _confirmation_link()
    assert parse_qs(urlsplit(link).query)["next"] == [post_test]

    phone = Client()  # another browser: no session
    response = phone.get(link)
    # Confirmed on the first open, no "Confirm" button page, and the destination kept.
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert response.status_code == 302
    response = phone.get(response["Location"])  # the post-test asks the anonymous learner to log in
    assert response.status_code == 302
    login_url = response["Location"]
    assert urlsplit(login_url).path == reverse("account_login")
    assert parse_qs(urlsplit(login_url).query)["next"] == [post_test]
    response = phone.post(login_url, {"login": "new@example.org", "password": PASSWORD, "next": post_test})
    assert response.status_code == 302
    assert response["Location"] == post_test
    assert phone.get(post_test).status_code == 200


@pytest.mark.django_db
def test_link_opened_in_the_same_browser_logs_in_and_goes_to_the_post_test(post_test):
    browser = Client()
    _sign_up(browser, post_test)
    response = browser.get(_confirmation_link())
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert response.status_code == 302
    assert response["Location"] == post_test
    assert int(browser.session["_auth_user_id"]) == User.objects.get(email="new@example.org").pk


@pytest.mark.django_db
def test_sign_up_without_a_destination_has_a_plain_link():
    _sign_up(Client(), None)
    link = _confirmation_link()
    assert "?" not in link
    Client().get(link)
    assert EmailAddress.objects.get(email="new@example.org").verified


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad", ["https://evil.example/post-test/", "//evil.example/x", "javascript:alert(1)"]
)
def test_a_foreign_destination_is_not_carried_into_the_link(bad):
    _sign_up(Client(), bad)
    link = _confirmation_link()
    assert "evil" not in link and "javascript" not in link


@pytest.mark.django_db
def test_a_tampered_next_on_the_link_goes_nowhere_foreign(post_test):
    _sign_up(Client(), post_test)
    key_path = _confirmation_link().split("?", 1)[0]
    response = Client().get(key_path + "?next=https://evil.example/")
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert response.status_code == 302
    assert "evil" not in response["Location"]


@pytest.mark.django_db
def test_a_wrong_key_confirms_nothing_and_says_so():
    _sign_up(Client(), None)
    response = Client().get(reverse("account_confirm_email", args=["not-a-real-key"]) + "?next=/")
    assert response.status_code == 400
    assert "expired or is invalid" in response.content.decode()
    assert not EmailAddress.objects.get(email="new@example.org").verified


@pytest.mark.django_db
def test_a_link_scanner_opening_the_link_first_still_leaves_the_learner_on_the_way_to_the_post_test(
    post_test,
):
    """Mail filters fetch links before the person does (ACCOUNT_CONFIRM_EMAIL_ON_GET confirms then):
    the scanner gets no session, and the learner's own tap still leads to the post-test."""
    browser = Client()
    _sign_up(browser, post_test)
    link = _confirmation_link()
    scanner = Client()
    scanner.get(link)
    assert EmailAddress.objects.get(email="new@example.org").verified
    assert "_auth_user_id" not in scanner.session
    response = browser.get(link, follow=True)
    assert response.status_code == 200
    final = response.redirect_chain[-1][0]
    assert final == post_test or parse_qs(urlsplit(final).query).get("next") == [post_test]


@pytest.mark.django_db
def test_a_confirmed_link_opened_again_with_a_foreign_next_goes_nowhere_foreign(post_test):
    _sign_up(Client(), post_test)
    link = _confirmation_link()
    Client().get(link)
    response = Client().get(link.split("?", 1)[0] + "?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert urlsplit(response["Location"]).path == reverse("account_login")
