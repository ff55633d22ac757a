"""The outcomes report in a browser (Debian's chromium): at 390 px nothing scrolls sideways (the
tables scroll inside their box, the charts shrink), axe-core finds no serious violation, and the
page runs under the site's Content-Security-Policy without a console error."""

import pytest
from django.conf import settings
from django.urls import reverse

from testkit import factories
from testkit.mfa import mfa_login
from testkit.outcomes import answer, claims_of, make_plan, practice
from testkit.site_pages import AXE_JS, OVERFLOW, RUN_AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_outcomes_page_at_390_px(browser, live_server, client, activity, coordinator):
    factories.add_prior_claims(activity, 6, prefix="phone")
    make_plan(activity, new_question=True)
    for n, claim in enumerate(claims_of(activity)):
        answer(claim, days=7, correct=[True, n % 2 == 0, True, False])
        answer(claim, days=30, correct=[n % 3 == 0, True, False, True])
        practice(claim, changed=["yes", "partly", "no"][n % 3], barriers=["time", "other"],
                 other="A very long barrier written without spaces: " + "x" * 120)  # fmt: skip
    mfa_login(client, coordinator)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, device_scale_factor=1
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    context.add_init_script(AXE_JS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    try:
        response = page.goto(reverse("followups:outcomes", args=[activity.pk]))
        assert response is not None and response.status == 200
        assert page.locator("svg[role=img]").count() == 3
        layout = page.evaluate(OVERFLOW)
        assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
        serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
        assert serious == []
        assert console == []
    finally:
        context.close()
