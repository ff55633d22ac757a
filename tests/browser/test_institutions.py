"""The institution admin's page and Your institutions on a phone (390 px): no sideways scroll, nothing
axe-core rates serious or critical (the page fixture checks the CSP)."""

from institutions.services import membership_join
from testkit import factories
from testkit.institutions import give_seats, make_institution, make_institution_admin
from testkit.mfa import browser_login_with_totp, give_totp
from testkit.site_pages import AXE_JS, OVERFLOW, RUN_AXE


def _check(page, path: str, heading: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    page.get_by_role("heading", name=heading, exact=True).first.wait_for()
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout["culprits"]
    serious = [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def test_the_admin_page_and_your_institutions_read_on_a_phone(page, provider):
    institution = make_institution(provider, domains=("mercy.example.org",))
    give_seats(institution, 5)
    admin = make_institution_admin(institution, factories.make_user("office@mercy.example.org"))
    member = factories.make_user("a.very.long.address.for.a.clinician@mercy.example.org", profile=True)
    membership_join(institution=institution, user=member, via="domain", shares_completions=True)
    factories.make_user("dr.new@mercy.example.org")
    page.context.add_init_script(AXE_JS)
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login_with_totp(page, admin.email, give_totp(admin))
    _check(page, f"/institutions/{institution.slug}/admin/", "Mercy General Hospital")
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("dr.new@mercy.example.org")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    _check(page, "/institutions/", "Your institutions")
