"""Every page carries a strict Content-Security-Policy and a Permissions-Policy, and obeys them."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from testkit.mfa import mfa_login

# The activity fixtures (and whatever they need) of the credits tests.

pytestmark = pytest.mark.django_db

STRICT = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
# Data blocks (allauth's JSON for its scripts) are never executed, so CSP does not govern them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """What a strict CSP would block: inline scripts and styles, event handlers, javascript: links."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._script_open = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and "src" not in attributes and "nonce" not in attributes:
            if (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.problems.append("inline <script> without a nonce")
        if tag == "style" and "nonce" not in attributes:
            self.problems.append("inline <style> without a nonce")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


def assert_strict_page(response) -> None:
    policy = response.get("Content-Security-Policy", "")
    for directive in STRICT:
        assert directive in policy, f"{directive!r} missing from {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in response.get("Permissions-Policy", "")
    # The headers that were there before stay.
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    if response.get("Content-Type", "").startswith("text/html"):
        assert inline_code(response.content.decode()) == [], response.request["PATH_INFO"]


@pytest.fixture
def pages_data(activity, learner, host, coordinator, provider):  # noqa: F405
    return {"activity": activity, "episode": activity.episode, "show": activity.episode.show}


def test_public_pages(client, pages_data, learner):
    show, episode = pages_data["show"], pages_data["episode"]
    for url in [
        reverse("home"),
        reverse("episodes:show", args=[show.slug]),
        reverse("episodes:episode", args=[show.slug, episode.slug]),  # the player and CME panel
        reverse("episodes:search") + "?q=airway",
        reverse("credits:verify_lookup"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        "/admin/login/",
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert_strict_page(response)


def test_error_pages_carry_the_policy(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert_strict_page(response)


def test_server_error_page_has_no_inline_style():
    from django.template.loader import render_to_string

    assert inline_code(render_to_string("500.html")) == []


def test_learner_pages(client, pages_data, learner):
    client.force_login(learner)
    activity = pages_data["activity"]
    for url in [
        reverse("credits:my_learning"),
        reverse("credits:post_test", args=[activity.pk]),  # the quiz
        reverse("credits:transcript"),
        reverse("episodes:my_feeds"),
        reverse("accounts:overview"),
        reverse("episodes:episode", args=[activity.episode.show.slug, activity.episode.slug]),
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert_strict_page(response)


def test_host_pages_with_the_upload_progress_bar_and_charts(client, pages_data, host):
    mfa_login(client, host)
    show = pages_data["show"]
    for url in [
        reverse("episodes:host_dashboard"),
        reverse("episodes:host_show", args=[show.slug]),
        reverse("episodes:host_episode_upload", args=[show.slug]),
        reverse("episodes:host_show_analytics", args=[show.slug]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_page(response)


def test_coordinator_pages_and_report_charts(client, pages_data, coordinator):
    activity = pages_data["activity"]
    mfa_login(client, coordinator)
    for url in [
        reverse("credits:coordinator_dashboard"),
        reverse("credits:coordinator_activity", args=[activity.pk]),
        reverse("credits:coordinator_quiz", args=[activity.pk]),
        reverse("credits:activity_report", args=[activity.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_page(response)


def test_mfa_setup_page_shows_its_qr_code_under_the_policy(client, make_user):
    user = make_user("new-host@example.org")
    client.post(reverse("account_login"), {"login": user.email, "password": "correct-horse-battery-9"})
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        assert_strict_page(client.get(response["Location"]))  # the password form asked first
        client.post(response["Location"], {"password": "correct-horse-battery-9"})
        response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert_strict_page(response)
    html = response.content.decode()
    # allauth draws the QR code as an <img> with a data: URI, which img-src allows.
    assert 'src="data:image/svg+xml' in html


def test_admin_pages(client, make_user):
    admin = make_user("admin@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, admin)
    for url in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{admin.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_page(response)


def test_payment_waiting_page_polls_without_inline_script(client, learner, provider):
    from billing.models import Order

    # An annual pass paid at Stripe whose webhook has not arrived yet: the page polls its status.
    order = Order.objects.create(learner=learner, kind="pass", provider=provider, amount=9900, currency="usd")
    order.status = "pending"
    order.save()
    client.force_login(learner)
    response = client.get(reverse("billing:order", args=[order.reference]))
    html = response.content.decode()
    assert "being confirmed" in html and "js/order-status.js" in html
    assert_strict_page(response)


def test_feeds_and_files_are_not_broken_by_the_policy(client, pages_data):
    response = client.get(reverse("episodes:feed", args=[pages_data["show"].slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")


def test_permissions_policy_switches_off_powerful_features(client, db):
    policy = client.get(reverse("home"))["Permissions-Policy"]
    for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"]:
        assert feature in policy
