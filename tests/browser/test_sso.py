"""Single sign-on in a real browser against the real OpenID Connect provider (testkit/oidc.py): from
the login page, find Mercy General, sign in at its provider's own login page, land back signed in
as a member."""

from accounts.models import User
from institutions.models import Membership
from testkit.oidc import IDP_PASSWORD, add_idp_user, fresh_oidc_provider, institution_with_sso


def test_sign_in_with_mercy_general_lands_back_signed_in_as_a_member(page, live_server, provider, settings):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    idp = fresh_oidc_provider()
    mercy = institution_with_sso(idp, provider, site_url=live_server.url, seats=5)
    username = add_idp_user(idp, email="ward@mercy.example.org", verified=True)

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your hospital or institution").click()
    page.get_by_label("Your institution or work email").fill("ward@mercy.example.org")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Sign in with Mercy General").click()
    page.get_by_role("button", name="Sign in with Mercy General").click()

    # The provider's own login page (another origin).
    page.get_by_role("heading", name="Mercy General Hospital: staff sign-in").wait_for()
    assert page.url.startswith(idp.base)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(IDP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_text("You are signed in as a member of Mercy General.").wait_for()
    assert page.url.startswith(live_server.url)
    page.get_by_role("link", name="Account").wait_for()
    user = User.objects.get(email="ward@mercy.example.org")
    assert Membership.objects.filter(
        user=user, institution=mercy, joined_via="sso", ended_at__isnull=True
    ).exists()
