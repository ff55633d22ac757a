"""The account emails (sign-up, address confirmation, password reset, "already have an account",
"no such account") are written for podcastcme, in text and HTML, and go through the outbox
(accounts.mail): never allauth's "Hello from <host>!" wording."""

import re

import lxml.html
import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import OutgoingEmail
from testkit.factories import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"email": "new@example.org", "password1": "lidocaine-bolus-77", "password2": "lidocaine-bolus-77"}
ALLAUTH_WORDING = ("Hello from", "Thank you for using", "You're receiving this email because user")


def _only_message():
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    assert OutgoingEmail.objects.count() == 0  # stored by the outbox, then sent and deleted
    return mail.outbox[0]


def _html(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def _assert_ours(message, *, subject: str, link_part: str) -> str:
    """Our subject, no allauth or host wording, the link in the text and as a button in the HTML."""
    assert message.subject == f"[podcastcme] {subject}"
    text = message.body
    html = _html(message)
    for part in (text, html):
        for wording in ALLAUTH_WORDING:
            assert wording not in part
        assert "testserver!" not in part
    # Signed with the site's name and address (SITE_URL), not the request's host.
    assert text.rstrip().endswith("— podcastcme\nhttp://testserver/")
    assert '— podcastcme · <a href="http://testserver/"' in html
    links = [u for u in re.findall(r"https?://\S+", text) if link_part in u]
    assert links, text
    page = lxml.html.fromstring(html)
    assert links[0] in [a.get("href") for a in page.xpath("//a")]
    assert page.xpath("//title")[0].text_content().strip()
    return links[0]


def test_the_sign_up_email_is_written_for_podcastcme_and_its_link_confirms(client):
    client.post(reverse("account_signup"), SIGNUP)
    message = _only_message()
    link = _assert_ours(message, subject="Confirm your email address to finish signing up",
                        link_part="/accounts/confirm-email/")  # fmt: skip
    assert "Welcome to podcastcme" in message.body
    assert "new@example.org" in message.body
    assert client.post(link.split("testserver", 1)[1]).status_code == 302


def test_the_sign_up_email_names_the_activity_and_its_provider_the_learner_came_for(client, activity):
    next_url = reverse("credits:post_test", args=[activity.pk])
    client.post(f"{reverse('account_signup')}?next={next_url}", {**SIGNUP, "next": next_url})
    message = _only_message()
    for part in (message.body, _html(message)):
        assert activity.provider.name in part
        assert activity.title in part


def test_a_sign_up_email_for_a_page_that_is_no_activity_names_none(client, activity):
    client.post(reverse("account_signup"), {**SIGNUP, "next": "https://evil.example/phish"})
    message = _only_message()
    assert activity.provider.name not in message.body and "evil" not in message.body


def test_the_password_reset_email(client, make_user):
    make_user("reset@example.org")
    client.post(reverse("account_reset_password"), {"email": "reset@example.org"})
    message = _only_message()
    link = _assert_ours(message, subject="Reset your password", link_part="/accounts/password/reset/key/")
    assert "reset@example.org" in message.body
    assert "your password stays as it is" in message.body
    assert client.get(link.split("testserver", 1)[1]).status_code in (200, 302)


def test_a_reset_for_an_unknown_address_says_there_is_no_account(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    message = _only_message()
    _assert_ours(message, subject="No account with this address", link_part="/accounts/signup/")
    assert "there is no account with this address" in message.body


def test_signing_up_with_a_taken_address_tells_its_owner(client, make_user):
    make_user("taken@example.org")
    client.post(reverse("account_signup"), {**SIGNUP, "email": "taken@example.org"})
    message = _only_message()
    _assert_ours(message, subject="You already have an account", link_part="/accounts/password/reset/")
    assert "already have an account with this address" in message.body


def test_adding_an_address_sends_a_confirmation_written_for_podcastcme(client, make_user):
    user = make_user("first@example.org")
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})  # asked before a change
    mail.outbox.clear()
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.org"})
    message = _only_message()
    _assert_ours(message, subject="Confirm your email address", link_part="/accounts/confirm-email/")
    assert "second@example.org" in message.body


def test_user_text_is_escaped_in_the_html(client, activity):
    activity.title = "Airway <b>bold</b> & more"
    activity.save(update_fields=["title"])
    next_url = reverse("credits:post_test", args=[activity.pk])
    client.post(reverse("account_signup"), {**SIGNUP, "next": next_url})
    html = _html(_only_message())
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html


def test_the_taken_address_email_offers_a_sign_in_code_too(client, make_user):
    make_user("taken@example.org")
    client.post(reverse("account_signup"), {**SIGNUP, "email": "taken@example.org"})
    message = _only_message()
    _assert_ours(message, subject="You already have an account", link_part="/accounts/login/code/")
    assert "/accounts/password/reset/" in message.body


def _assert_code_email(message, *, subject_start: str) -> str:
    """Our wording in text and HTML, signed with the site, the code in both and no link to follow."""
    code = re.search(r"\b[A-Z]{4}-[A-Z]{4}\b", message.body)
    assert code is not None, message.body
    assert message.subject == f"[podcastcme] {subject_start}: {code.group(0)}"
    html = _html(message)
    for part in (message.body, html):
        for wording in (*ALLAUTH_WORDING, "Sign-In Code", "Please enter it in your open browser window"):
            assert wording not in part
        assert code.group(0) in part
        assert "10 minutes" in part and "Three wrong tries" in part
    assert message.body.rstrip().endswith("— podcastcme\nhttp://testserver/")
    assert lxml.html.fromstring(html).xpath("//title")[0].text_content().strip()
    return code.group(0)


def test_the_sign_in_code_email(client, make_user):
    make_user("coder@example.org")
    client.post(reverse("account_request_login_code"), {"email": "coder@example.org"})
    message = _only_message()
    _assert_code_email(message, subject_start="Your sign-in code")
    assert "asked to log in to podcastcme as coder@example.org" in message.body


def test_the_reauthentication_code_email(client, make_user):
    user = make_user("coder@example.org")
    client.force_login(user)
    client.post(reverse("account_request_reauthentication_code"), {"recipient": "coder@example.org"})
    message = _only_message()
    _assert_code_email(message, subject_start="Your code to confirm it is you")
    assert "confirm it is you before changing your podcastcme account" in message.body


def test_a_code_for_an_unknown_address_says_there_is_no_account(client):
    client.post(reverse("account_request_login_code"), {"email": "nobody@example.org"})
    message = _only_message()
    _assert_ours(message, subject="No account with this address", link_part="/accounts/signup/")
    assert "asked for a code to log in" in message.body and "asked for a code to log in" in _html(message)
