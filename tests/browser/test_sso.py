"""Single sign-on in a real browser against the real OpenID Connect provider (testkit/oidc.py): from
the login page, find Mercy General, sign in at its provider's own login page, land back signed in
as a member."""

import uuid

from accounts.models import User
from institutions import sso
from institutions.models import Membership
from testkit.institutions import give_seats, make_institution
from testkit.oidc import shared_oidc_provider


def test_sign_in_with_mercy_general_lands_back_signed_in_as_a_member(page, live_server, provider, settings):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    idp = shared_oidc_provider()
    idp.reset()
    mercy = make_institution(provider, name="Mercy General", slug="mercy", domains=("mercy.example.org",))
    give_seats(mercy, 5)
    client_id, secret = f"podcastcme-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    idp.register_client(client_id, secret, [live_server.url + sso.sso_callback_path(mercy)])
    sso.sso_configure(
        institution=mercy, issuer=idp.issuer, client_id=client_id, client_secret=secret, actor=None
    )
    idp.add_user("dr.ward", "ward-at-mercy-2026", email="ward@mercy.example.org", email_verified=True)

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with your hospital or institution").click()
    page.get_by_label("Your institution or work email").fill("ward@mercy.example.org")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Sign in with Mercy General").click()
    page.get_by_role("button", name="Sign in with Mercy General").click()

    # The provider's own login page (another origin).
    page.get_by_role("heading", name="Mercy General Hospital: staff sign-in").wait_for()
    assert page.url.startswith(idp.base)
    page.get_by_label("Username").fill("dr.ward")
    page.get_by_label("Password").fill("ward-at-mercy-2026")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_text("You are signed in as a member of Mercy General.").wait_for()
    assert page.url.startswith(live_server.url)
    page.get_by_role("link", name="Account").wait_for()
    user = User.objects.get(email="ward@mercy.example.org")
    assert Membership.objects.filter(
        user=user, institution=mercy, joined_via="sso", ended_at__isnull=True
    ).exists()
