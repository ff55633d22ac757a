"""Setting up an institution's single sign-on: who may, what is checked before saving (the issuer's
discovery document), the secret never shown back, the callback URL shown, audit rows; finding an
institution from the login page."""

import uuid

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from audit.models import AuditEvent
from institutions import sso
from institutions.errors import InstitutionError
from testkit import factories
from testkit.institutions import make_institution, make_institution_admin
from testkit.mfa import mfa_login, mfa_login_reauthenticated
from testkit.oidc import shared_oidc_provider
from testkit.servers import free_port

SECRET = "mercy-client-secret-0123456789"


@pytest.fixture
def idp(settings):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    provider = shared_oidc_provider()
    provider.reset()
    yield provider
    provider.reset()


@pytest.fixture
def mercy(provider):
    return make_institution(provider, name="Mercy General", slug="mercy")


@pytest.fixture
def admin_client(client, mercy):
    """The institution's admin, with a session that has just proven who it is again (saving asks)."""
    admin = make_institution_admin(mercy, factories.make_user("cme-office@mercy.example.org"))
    mfa_login_reauthenticated(client, admin)
    return client


def _url(institution) -> str:
    return reverse("institutions:sso_settings", kwargs={"slug": institution.slug})


@pytest.mark.django_db
def test_the_admin_sets_up_single_sign_on_and_the_secret_is_never_shown_back(admin_client, idp, mercy):
    page = admin_client.get(_url(mercy)).content.decode()
    assert (
        "http://testserver/accounts/oidc/inst-mercy/login/callback/" in page
    )  # the redirect URI to register
    response = admin_client.post(
        _url(mercy), {"issuer": idp.issuer, "client_id": "podcastcme", "client_secret": SECRET}
    )
    assert response.status_code == 302
    mercy.refresh_from_db()
    app = mercy.sso_app
    assert (app.provider, app.provider_id, app.client_id, app.secret) == (
        "openid_connect",
        "inst-mercy",
        "podcastcme",
        SECRET,
    )
    assert app.settings["server_url"] == idp.issuer
    event = AuditEvent.objects.get(action="institution.sso_configured", object_id=str(mercy.pk))
    assert event.data["issuer"] == idp.issuer and SECRET not in str(event.data)
    page = admin_client.get(_url(mercy)).content.decode()
    assert SECRET not in page
    assert idp.issuer in page and "A secret is stored" in page
    # An empty secret keeps the stored one; a new client ID replaces the old.
    admin_client.post(_url(mercy), {"issuer": idp.issuer, "client_id": "podcastcme-2", "client_secret": ""})
    app.refresh_from_db()
    assert (app.client_id, app.secret) == ("podcastcme-2", SECRET)
    assert SocialApp.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("mismatch", "calls itself"),
        ("down", "did not answer"),
        ("https://exa mple.org/o", "Enter a valid URL"),
        ("https://no-such-host.invalid/o", "is unknown"),
        ("ftp://idp.example.org", "must be an https:// address"),
        ("http://10.0.0.7/o", "private address"),
    ],
)
def test_an_issuer_that_fails_the_checks_is_refused_and_nothing_is_saved(
    admin_client, idp, mercy, issuer, message
):
    issuer = {"mismatch": idp.issuer + "/", "down": f"http://127.0.0.1:{free_port()}/o"}.get(issuer, issuer)
    response = admin_client.post(
        _url(mercy), {"issuer": issuer, "client_id": "podcastcme", "client_secret": SECRET}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SocialApp.objects.exists()
    assert not AuditEvent.objects.filter(action="institution.sso_configured").exists()


@pytest.mark.django_db
def test_a_discovery_document_naming_another_issuer_is_refused(idp, mercy):
    idp.misbehave(discovery_issuer="https://login.impostor.example/o")
    with pytest.raises(InstitutionError) as refused:
        sso.sso_configure(
            institution=mercy, issuer=idp.issuer, client_id="c", client_secret=SECRET, actor=None
        )
    assert refused.value.code == "sso_issuer_mismatch"


@pytest.mark.django_db
def test_loopback_and_plain_http_are_refused_unless_tests_allow_them(settings, mercy):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    for issuer in ("http://127.0.0.1:9/o", "https://localhost/o", "http://idp.example.org/o"):
        with pytest.raises(InstitutionError) as refused:
            sso.discovery_document(issuer=issuer)
        assert refused.value.code in {"sso_issuer_invalid", "sso_issuer_unreachable"}


@pytest.mark.django_db
def test_a_missing_client_id_or_first_secret_is_a_form_error(admin_client, idp, mercy):
    response = admin_client.post(_url(mercy), {"issuer": idp.issuer, "client_id": "", "client_secret": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("This field is required.") == 2
    assert not SocialApp.objects.exists()


@pytest.mark.django_db
def test_turning_single_sign_on_off(admin_client, idp, mercy):
    sso.sso_configure(institution=mercy, issuer=idp.issuer, client_id="c", client_secret=SECRET, actor=None)
    admin_client.post(_url(mercy), {"action": "remove"})  # not confirmed: nothing changes
    mercy.refresh_from_db()
    assert mercy.sso_app is not None
    response = admin_client.post(_url(mercy), {"action": "remove", "confirm": "yes"})
    assert response.status_code == 302
    mercy.refresh_from_db()
    assert mercy.sso_app is None and not SocialApp.objects.exists()
    assert AuditEvent.objects.filter(action="institution.sso_removed", object_id=str(mercy.pk)).exists()
    assert admin_client.get(reverse("institutions:sso_sign_in", kwargs={"slug": "mercy"})).status_code == 404


@pytest.mark.django_db
def test_only_the_institutions_admins_and_staff_reach_the_set_up_page(
    client, mercy, learner, make_user, provider
):
    assert client.get(_url(mercy)).status_code == 302  # to the login page
    client.force_login(learner)
    assert client.get(_url(mercy)).status_code == 403
    other = make_institution(provider, name="Saint Jude", slug="st-jude")
    stranger = make_institution_admin(other, make_user("office@stjude.example.org"))
    mfa_login_reauthenticated(client, stranger)
    assert client.get(_url(mercy)).status_code == 403
    assert client.post(_url(mercy), {"action": "remove"}).status_code == 403
    staff = make_user("staff@example.org", is_staff=True)
    mfa_login(client, staff)
    assert client.get(_url(mercy)).status_code == 200


@pytest.mark.django_db
def test_saving_asks_again_who_it_is_when_the_login_is_not_fresh(client, idp, mercy):
    admin = make_institution_admin(mercy, factories.make_user("cme-office@mercy.example.org"))
    client.force_login(admin)  # a session that never proved who it is
    assert client.get(_url(mercy)).status_code == 200
    response = client.post(_url(mercy), {"issuer": idp.issuer, "client_id": "c", "client_secret": SECRET})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    assert not SocialApp.objects.exists()


@pytest.mark.django_db
def test_find_an_institution_by_name_or_work_address(client, idp, provider):
    mercy = make_institution(provider, name="Mercy General", slug="mercy", domains=("mercy.example.org",))
    sso.sso_configure(
        institution=mercy, issuer=idp.issuer, client_id=uuid.uuid4().hex, client_secret=SECRET, actor=None
    )
    make_institution(provider, name="Mercy Without SSO", slug="mercy-plain", domains=("plain.example.org",))
    login = client.get(reverse("account_login")).content.decode()
    assert reverse("institutions:sso_find") in login
    url = reverse("institutions:sso_find")
    for query in ("mercy", "ward@MERCY.example.org", "mercy.example.org"):
        page = client.get(url, {"q": query}).content.decode()
        assert "Sign in with Mercy General" in page, query
        assert "Without SSO" not in page
    page = client.get(url, {"q": "nobody@plain.example.org"}).content.decode()
    assert "No institution with single sign-on matches" in page
    assert client.get(url, {"q": "x" * 300}).status_code == 200


@pytest.mark.django_db
def test_in_the_django_admin_staff_set_up_an_idp_through_the_same_checks(client, idp, mercy, make_user):
    staff = make_user("root@example.org", is_staff=True, is_superuser=True)
    mfa_login(client, staff)
    add = reverse("admin:socialaccount_socialapp_add")
    response = client.post(
        add, {"institution": mercy.pk, "issuer": idp.issuer + "/x", "client_id": "c", "client_secret": ""}
    )
    assert response.status_code == 200 and not SocialApp.objects.exists()
    assert "This field is required." in response.content.decode()
    response = client.post(
        add, {"institution": mercy.pk, "issuer": idp.issuer, "client_id": "c", "client_secret": SECRET}
    )
    assert response.status_code == 302
    mercy.refresh_from_db()
    assert mercy.sso_app.provider_id == "inst-mercy" and mercy.sso_app.secret == SECRET
    assert AuditEvent.objects.filter(action="institution.sso_configured", actor=staff).exists()
    change = reverse("admin:socialaccount_socialapp_change", args=[mercy.sso_app.pk])
    page = client.get(change).content.decode()
    assert SECRET not in page and idp.issuer in page
    client.post(change, {"issuer": idp.issuer, "client_id": "c2", "client_secret": ""})
    mercy.sso_app.refresh_from_db()
    assert (mercy.sso_app.client_id, mercy.sso_app.secret) == ("c2", SECRET)
