"""Playwright driving Debian's chromium against pytest-django's live server; screenshots on failure."""

import os
import shutil
import time
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.fail("Debian's chromium is not installed (make test installs it when run as root).")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test code's ORM calls are still
    # synchronous and safe, so tell Django not to refuse them (for the browser tests only).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Chromium logs every Content-Security-Policy violation (a blocked inline script or style, an
    # event handler attribute) and every Permissions-Policy header error to the console.
    policy_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text)
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    page.policy_errors = policy_errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.nodeid.replace("/", "_").replace("::", "__")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        print(f"screenshot kept: {ARTIFACTS / f'{name}.png'}")
    context.close()
    assert policy_errors == [], "the browser reported policy violations"


@pytest.fixture(scope="session")
def demo_audit(browser, live_server, django_db_setup, django_db_blocker):
    """Seed the demo once, visit every page of it per role (390 and 1280 px), then empty the database.

    The layout and the accessibility tests read these results, so the demo is seeded and each page
    visited once per width for both. The database is emptied as a transactional test leaves it.
    """
    from django.core.management import call_command

    from accounts.demo import DEMO_LEARNER, DEMO_PASSWORD
    from testkit.site_pages import ROLES, audit_flash_message, audit_pages, role_client, site_pages

    started = time.monotonic()
    with django_db_blocker.unblock():
        try:
            call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
            seeded = time.monotonic()
            pages = {role: site_pages(role_client(role)) for role in ROLES}
            crawled = time.monotonic()
            results = audit_pages(browser, live_server.url, pages)
            flash = audit_flash_message(browser, live_server.url, DEMO_LEARNER, DEMO_PASSWORD)
        finally:
            call_command("flush", interactive=False, verbosity=0)
    print(
        f"\ndemo_audit: seed {seeded - started:.0f} s, crawl {crawled - seeded:.0f} s "
        f"({sum(map(len, pages.values()))} pages), browser {time.monotonic() - crawled:.0f} s"
    )
    return {"pages": pages, "results": results, "flash": flash}
