"""The interactive API docs (Swagger UI) in a real browser: it renders the operations from our own
static files with no Content-Security-Policy report; the token page fits a 390 px screen."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from testkit.factories import PASSWORD

pytestmark = pytest.mark.browser


def _page(browser, live_server, width: int):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    reports: list[str] = []
    page.on("console", lambda m: reports.append(m.text) if "Content Security Policy" in m.text else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    return page, reports, outside


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_under_our_csp(browser, live_server, episode):
    page, reports, outside = _page(browser, live_server, 1280)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert page.get_attribute("html", "lang") == "en"  # our override of ninja's page (axe: html-has-lang)
    assert any("/api/v1/me/claims" in p for p in paths)
    assert reports == []
    assert [u for u in outside if not u.startswith("data:")] == []


@pytest.mark.django_db(transaction=True)
def test_token_page_fits_a_phone(browser, live_server, learner):
    page, reports, _outside = _page(browser, live_server, 390)
    client = Client()
    client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    page.goto(reverse("api:tokens"))
    page.fill("#id_name", "Phone test")
    page.click("form.stacked-form button[type=submit]")
    page.wait_for_load_state()
    if "reauthenticate" in page.url:  # allauth asks who it is first, then the creation goes on
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        if not page.locator("#new-token").count():
            page.fill("#id_name", "Phone test")
            page.click("form.stacked-form button[type=submit]")
    page.wait_for_selector("#new-token")
    assert page.input_value("#new-token").startswith("pcme_")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert reports == []
