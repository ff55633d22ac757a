"""Single sign-on end to end against a real OpenID Connect provider (django-oauth-toolkit in a second
process, testkit/oidc.py): authorization code with PKCE, RS256 ID tokens checked against the
provider's JWKS, issuer and nonce checked; who is signed in, linked, created and seated."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from institutions import sso
from institutions.models import JoinedVia, Membership
from testkit import factories
from testkit.oidc import IDP_PASSWORD as PASSWORD
from testkit.oidc import add_idp_user, sso_sign_in


def _user(idp, *, email="ward@mercy.example.org", verified=True):
    return add_idp_user(idp, email=email, verified=verified)


@pytest.mark.django_db
def test_a_new_clinician_signs_in_gets_an_account_with_a_verified_address_and_a_seat(client, idp, mercy):
    username = _user(idp)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("institutions:sso_done", kwargs={"slug": "mercy"}))
    response = client.get(response["Location"], follow=True)
    user = User.objects.get(email="ward@mercy.example.org")
    assert response.context["user"] == user
    assert EmailAddress.objects.get(user=user).verified
    membership = Membership.objects.get(user=user, institution=mercy, ended_at__isnull=True)
    assert membership.joined_via == JoinedVia.SSO
    assert AuditEvent.objects.filter(
        action="membership.joined", object_id=str(membership.pk), data__via="sso"
    ).exists()
    assert "You are signed in as a member of Mercy General." in response.content.decode()
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_the_authorization_request_uses_pkce_s256_a_nonce_and_the_registered_callback(client, mercy):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["nonce"] == [sso.sso_nonce(query["state"][0])]
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/inst-mercy/login/callback/"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


@pytest.mark.django_db
def test_an_existing_account_with_the_same_verified_address_is_signed_in_and_linked(client, idp, mercy):
    existing = factories.make_user("ward@mercy.example.org")
    username = _user(idp, email="Ward@Mercy.example.org")
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    response = client.get(response["Location"], follow=True)
    assert response.context["user"] == existing
    assert SocialAccount.objects.filter(user=existing, provider="inst-mercy").count() == 1
    assert Membership.objects.filter(user=existing, institution=mercy, joined_via="sso").exists()
    assert User.objects.count() == 1
    # The next sign-in finds the linked account by the IdP's subject, and takes no second seat.
    client.logout()
    response = client.get(sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)["Location"], follow=True)
    assert response.context["user"] == existing
    assert Membership.objects.filter(user=existing).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email_verified", "idp_email"),
    [
        (False, "ward@mercy.example.org"),
        (None, "ward@mercy.example.org"),
        (True, "ward@elsewhere.example.com"),
    ],
    ids=["idp-says-unverified", "idp-says-nothing", "verified-but-not-the-institutions-domain"],
)
def test_an_existing_account_is_not_taken_over_by_an_untrusted_address(
    client, idp, mercy, email_verified, idp_email
):
    existing = factories.make_user(idp_email)
    username = _user(idp, email=idp_email, verified=email_verified)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    assert response.status_code == 403
    page = response.content.decode()
    assert "already exists" in page and "take the account over" in page
    assert "_auth_user_id" not in client.session
    assert not SocialAccount.objects.exists()
    assert not Membership.objects.exists()
    assert existing.has_usable_password()


@pytest.mark.django_db
def test_a_new_account_from_an_unverified_address_must_confirm_it_by_mail_first(
    client, idp, mercy, mailoutbox
):
    username = _user(idp, email="locum@mercy.example.org", verified=False)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    user = User.objects.get(email="locum@mercy.example.org")
    assert not EmailAddress.objects.get(user=user).verified
    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_with_every_seat_taken_the_clinician_is_signed_in_and_told_there_is_no_seat(client, idp, mercy):
    for n in range(3):
        member = factories.make_user(f"member{n}@mercy.example.org")
        Membership.objects.create(institution=mercy, user=member, joined_via="invitation")
    username = _user(idp)
    response = client.get(sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)["Location"], follow=True)
    assert response.status_code == 200
    user = User.objects.get(email="ward@mercy.example.org")
    assert response.context["user"] == user
    page = response.content.decode()
    assert "You are signed in, but you have no seat at Mercy General yet" in page
    assert "no free seat left" in page
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_the_page_asked_for_is_where_the_sign_in_ends(client, idp, mercy):
    username = _user(idp)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD, next_url="/account/")
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == "/account/"
    # A foreign destination is dropped.
    client.logout()
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD, next_url="https://evil.example/")
    assert "evil" not in response["Location"]


@pytest.mark.django_db
def test_a_host_with_totp_who_signs_in_by_sso_is_asked_for_the_code(client, idp, mercy, host):
    from testkit.mfa import give_totp, totp_now

    secret = give_totp(host)
    address = EmailAddress.objects.get(user=host)
    mercy.email_domains = [address.email.rpartition("@")[2]]
    mercy.save()
    username = _user(idp, email=host.email)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("institutions:sso_done", kwargs={"slug": "mercy"}))
    client.get(response["Location"])
    assert client.session["_auth_user_id"] == str(host.pk)
    assert Membership.objects.filter(user=host, institution=mercy).exists()


@pytest.mark.django_db
def test_the_join_page_takes_a_seat_only_after_a_sign_in_through_the_institution(client, mercy, learner):
    client.force_login(learner)
    response = client.get(reverse("institutions:sso_done", kwargs={"slug": "mercy"}))
    assert response.status_code == 302 and response["Location"] == reverse(
        "institutions:sso_sign_in", kwargs={"slug": "mercy"}
    )
    assert not Membership.objects.exists()
