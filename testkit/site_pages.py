"""Every page of the demo a role can reach, and what a phone-sized browser and axe-core find on it.

The browser tests for layout and accessibility (issue 15) visit *every* page of the demo for each role:
anonymous, learner, host and coordinator. ``site_pages`` finds them by following the links of the
pages themselves with Django's test client (fast, no browser), starting from the navigation; the
browser then visits the list. ``role_context`` opens one Playwright context per role, carrying a
session that completed two-factor (``testkit.mfa.mfa_login``) for the host and the coordinator.
``audit_pages`` visits each page once at 390 px (sideways scroll, a screenshot, axe-core) and once
at 1280 px (axe-core), so the layout and the accessibility tests share one seeded demo and one pass.

axe-core's script comes from a package (axe-playwright-python ships ``axe.min.js``). It is added as
an init script, which Chromium runs outside the page's Content-Security-Policy: the strict CSP stays
on while axe runs.
"""

from __future__ import annotations

import importlib.util
import re
from collections import deque
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

from django.conf import settings
from django.test import Client

from accounts.demo import DEMO_COORDINATOR, DEMO_HOST, DEMO_LEARNER
from accounts.models import User
from testkit.mfa import mfa_login

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ROLES = ("anonymous", "learner", "host", "coordinator")
ROLE_EMAILS = {"learner": DEMO_LEARNER, "host": DEMO_HOST, "coordinator": DEMO_COORDINATOR}

# Where a visitor starts: the navigation, the account pages and the forms reached by GET (search).
START = (
    "/",
    "/search/?q=airway",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/verify/",
    "/privacy/",
)
# Not pages of the product: the admin (staff only), files, feeds, the log-out confirmation, and the
# API's interactive docs (Swagger UI as django-ninja ships it: a developer tool whose own markup axe
# faults, nested buttons and its colours; tests/browser/test_api_docs.py checks it renders under the
# CSP; the OpenAPI schema is the API's reference).
SKIP = re.compile(
    r"^/(admin/|static/|media/|favicon\.ico|healthz|stripe/|accounts/logout/|api/v1/docs)"
    r"|\.(xml|json|csv|pdf|xls|mp3|m4a|ogg|opus|jpg|jpeg|png|svg|vtt|srt|txt|zip)$"
    r"|/(audio|file|artwork)/"
)
HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
MAX_PAGES = 150  # a safety net: the demo has far fewer pages per role


def role_client(role: str) -> Client:
    """A Django test client as ``role`` (host and coordinator with two-factor completed)."""
    client = Client(raise_request_exception=False)  # a page that fails is listed, not raised
    if role == "anonymous":
        return client
    user = User.objects.get(email=ROLE_EMAILS[role])
    if role == "learner":
        client.force_login(user)
    else:
        mfa_login(client, user)
    return client


def _normalise(href: str, base: str = "/") -> str | None:
    href, _ = urldefrag(unescape(href).strip())
    if not href or href.startswith(("mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(urljoin(f"http://testserver{base}", href))
    if parts.scheme not in ("", "http", "https") or not href:
        return None
    if parts.netloc not in ("testserver", "localhost", "127.0.0.1"):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or SKIP.search(path):
        return None
    # Pagination and sorting are the same page with other rows: visit page 1 and one further page.
    # ``next`` only says where to go afterwards: the page is the same with or without it.
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "next"])
    if query:
        if re.fullmatch(r"page=\d+", query) and query != "page=2":
            return None
        if query.count("=") > 2:
            return None
    return path + (f"?{query}" if query else "")


def site_pages(client: Client, start: tuple[str, ...] = START) -> list[str]:
    """The HTML pages ``client`` reaches from ``start`` by following links, in visiting order.

    A link that redirects (to the login page, to another page) counts as the page it lands on; a
    page that answers 4xx/5xx is kept too, so a broken link shows up as a failing page.
    """
    seen: set[str] = set()
    pages: list[str] = []
    queue: deque[str] = deque(start)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        final = url
        if response.redirect_chain:
            final = _normalise(response.redirect_chain[-1][0], url) or url
            if final in seen and final != url:
                continue
            seen.add(final)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if hasattr(response, "streaming_content"):
            continue
        pages.append(final)
        for href in HREF.findall(response.content.decode()):
            link = _normalise(href, final)
            if link is not None and link not in seen:
                queue.append(link)
    return pages


def role_context(browser, base_url: str, role: str, *, width: int = 390, height: int = 844):
    """A Playwright context at ``width`` px carrying ``role``'s session (or none, for anonymous)."""
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        # Not is_mobile: a phone's browser zooms out to fit a page that overflows, which would make
        # window.innerWidth as wide as the page and hide the sideways scroll being tested.
        device_scale_factor=1,
    )
    context.set_default_timeout(15_000)
    if role != "anonymous":
        client = role_client(role)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": base_url,
                }
            ]
        )
    return context


_AXE_PACKAGE = importlib.util.find_spec("axe_playwright_python")  # the test extra installs it
assert _AXE_PACKAGE is not None and _AXE_PACKAGE.origin, "pip install axe-playwright-python (the test extra)"
AXE_JS = (Path(_AXE_PACKAGE.origin).parent / "axe.min.js").read_text()
# Functions, not strings: Playwright evaluates a string expression in the page, which the CSP forbids.
RUN_AXE = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}));
}
"""
# How wide the document is, and what sticks out of the viewport (outside any scrolling box).
OVERFLOW = """
() => {
  const width = window.innerWidth;
  const scrollWidth = document.scrollingElement.scrollWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const culprits = [];
  if (scrollWidth > width) {
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 1 && box.width > 0 && !clipped(el)) {
        const classes = typeof el.className === 'string' ? el.className.trim().split(/ +/) : [];
        const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          classes.filter(Boolean).map((c) => '.' + c).join('');
        culprits.push(`${name} right=${Math.round(box.right)}`);
      }
    }
  }
  // The activity panel's call to action (sign-up, post-test, claim): how far down, in screens.
  const cta = document.querySelector('.cme-next a.button, .cme-next button[type=submit]');
  const ctaScreens = cta ? (cta.getBoundingClientRect().bottom + window.scrollY) / window.innerHeight : null;
  // Each "Download certificate" link: whole on screen, not inside a box that scrolls sideways.
  const downloads = [...document.querySelectorAll('a')]
    .filter((a) => a.textContent.includes('Download certificate'))
    .map((a) => {
      const box = a.getBoundingClientRect();
      let scroller = false;
      for (let p = a.parentElement; p; p = p.parentElement) {
        if (p.scrollWidth > p.clientWidth + 1 && getComputedStyle(p).overflowX !== 'visible') scroller = true;
      }
      return {left: box.left, right: box.right, inScroller: scroller};
    });
  return {width, scrollWidth, culprits: culprits.slice(-4), ctaScreens, downloads};
}
"""


def _visit(page, url: str, *, layout: bool, shot: Path | None = None) -> dict:
    response = page.goto(url)
    found: dict = {"url": url, "status": response.status if response is not None else None}
    if layout:
        found.update(page.evaluate(OVERFLOW))
    if shot is not None:
        page.screenshot(path=str(shot))
    found["axe"] = page.evaluate(RUN_AXE)
    return found


def audit_pages(browser, base_url: str, pages: dict[str, list[str]]) -> dict[str, dict[int, list[dict]]]:
    """Visit every role's pages at 390 and 1280 px: {role: {width: [what each page showed]}}.

    At 390 px each page is also measured for sideways scroll and photographed into
    ``test-artifacts/390px/``. One browser context per role and width.
    """
    shots = ARTIFACTS / "390px"
    shots.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[int, list[dict]]] = {}
    for role in ROLES:
        results[role] = {}
        for width in (390, 1280):
            context = role_context(browser, base_url, role, width=width, height=844 if width == 390 else 900)
            context.add_init_script(AXE_JS)
            page = context.new_page()
            results[role][width] = [
                _visit(
                    page,
                    url,
                    layout=width == 390,
                    shot=shots / _shot_name(role, url) if width == 390 else None,
                )
                for url in pages[role]
            ]
            context.close()
    return results


def audit_flash_message(browser, base_url: str, email: str, password: str) -> dict:
    """A page with a flash message (logging in leaves one), audited like the others at 390 px."""
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    context.add_init_script(AXE_JS)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.locator(".messages").wait_for()
    found = {"url": "(after logging in) " + page.url.removeprefix(base_url), **page.evaluate(OVERFLOW)}
    found["axe"] = page.evaluate(RUN_AXE)
    found["messages"] = page.locator(".messages").evaluate("el => el.outerHTML")
    context.close()
    return found


def _shot_name(role: str, url: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", f"{role}{url}").strip("_") + ".png"
