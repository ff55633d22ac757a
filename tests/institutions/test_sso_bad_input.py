"""Single sign-on refuses what it cannot trust, with a clear page and never a 500: a provider whose
discovery document or ID token names another issuer, a nonce or signature that does not match, the
provider saying access_denied, a tampered or replayed state, an institution without single sign-on,
and a provider that does not answer."""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from institutions import sso
from institutions.models import Membership
from institutions.sso_adapter import (
    AddressRefused,
    InstitutionOIDCAdapter,
    InstitutionOIDCProvider,
    PinnedTransport,
)
from testkit.institutions import make_institution
from testkit.oidc import IDP_CLIENT_SECRET as SECRET
from testkit.oidc import IDP_PASSWORD as PASSWORD
from testkit.oidc import add_idp_user, sso_sign_in
from testkit.servers import free_port


@pytest.fixture
def username(idp):
    return add_idp_user(idp, email="ward@mercy.example.org", verified=True)


def _nobody_signed_in(client) -> None:
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    assert not Membership.objects.exists()


def _callback(client, location: str):
    back = urlsplit(location)
    return client.get(f"{back.path}?{back.query}")


@pytest.mark.django_db
def test_a_discovery_document_naming_another_issuer_is_refused_at_sign_in(client, idp, mercy):
    idp.misbehave(discovery_issuer="https://login.impostor.example/o")
    response = client.post("/accounts/oidc/inst-mercy/login/")
    assert response.status_code == 502
    page = response.content.decode()
    assert "calls itself" in page and "https://login.impostor.example/o" in page
    assert "Try again with Mercy General" in page


@pytest.mark.django_db
def test_an_id_token_from_another_issuer_is_refused(client, idp, mercy, username):
    idp.misbehave(token_issuer="https://login.impostor.example/o")
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    assert response.status_code == 502
    assert "sent an answer we cannot trust" in response.content.decode()
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_an_id_token_with_another_sign_ins_nonce_is_refused(client, idp, mercy, username):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    parts = urlsplit(start["Location"])
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["nonce"] = sso.sso_nonce("another-state")
    response = _callback(
        client, idp.sign_in(urlunsplit(parts._replace(query=urlencode(query))), username, PASSWORD)
    )
    assert response.status_code == 502
    assert "nonce" in response.content.decode()
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_the_provider_answering_access_denied_ends_on_a_clear_page(client, idp, mercy, username):
    idp.misbehave(deny=True)
    response = sso_sign_in(client, idp, "inst-mercy", username, PASSWORD)
    assert response.status_code == 403
    assert "answered that access was denied" in response.content.decode()
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_a_tampered_state_is_refused(client, idp, mercy, username):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    location = idp.sign_in(start["Location"], username, PASSWORD)
    tampered = re.sub(r"state=[^&]+", "state=forged0123456789", location)
    response = _callback(client, tampered)
    assert response.status_code == 400
    assert "could not be matched to one you started here" in response.content.decode()
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_a_callback_in_another_browser_is_refused(client, idp, mercy, username):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    location = idp.sign_in(start["Location"], username, PASSWORD)
    response = _callback(Client(), location)  # another browser (an attacker's), without the state
    assert response.status_code == 400
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_a_replayed_callback_is_refused(client, idp, mercy, username):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    location = idp.sign_in(start["Location"], username, PASSWORD)
    assert _callback(client, location).status_code == 302
    client.logout()
    response = _callback(client, location)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_institution_without_single_sign_on_has_no_sign_in_pages(client, provider):
    make_institution(provider, name="Saint Jude", slug="st-jude")
    assert client.get(reverse("institutions:sso_sign_in", kwargs={"slug": "st-jude"})).status_code == 404
    assert client.post("/accounts/oidc/inst-st-jude/login/").status_code == 404
    assert client.get("/accounts/oidc/inst-st-jude/login/callback/?code=x&state=y").status_code == 404
    assert client.get(reverse("institutions:sso_sign_in", kwargs={"slug": "nowhere"})).status_code == 404


@pytest.mark.django_db
def test_an_openid_connect_app_that_is_no_institutions_signs_nobody_in(client):
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="stray",
        name="Stray",
        client_id="x",
        secret="y",
        settings={"server_url": "https://stray.example"},
    )
    assert client.post("/accounts/oidc/stray/login/").status_code == 404
    assert client.get("/accounts/oidc/stray/login/callback/?code=x&state=y").status_code == 404


@pytest.mark.django_db
def test_a_provider_that_does_not_answer_ends_on_a_clear_page(client, mercy):
    app = mercy.sso_app
    app.settings = {
        **app.settings,
        "server_url": f"http://127.0.0.1:{free_port()}/o",
    }  # nothing listens there
    app.save()
    response = client.post("/accounts/oidc/inst-mercy/login/")
    assert response.status_code == 502
    page = response.content.decode()
    assert "Mercy General&#x27;s sign-in service could not be used right now" in page
    assert "did not answer" in page


@pytest.mark.django_db
def test_the_provider_going_down_during_the_sign_in_ends_on_a_clear_page(client, idp, mercy, username):
    start = client.post("/accounts/oidc/inst-mercy/login/")
    location = idp.sign_in(start["Location"], username, PASSWORD)
    app = mercy.sso_app
    app.settings = {**app.settings, "server_url": f"http://127.0.0.1:{free_port()}/o"}
    app.save()
    response = _callback(client, location)
    assert response.status_code == 502
    _nobody_signed_in(client)


@pytest.mark.django_db
def test_a_network_failure_at_the_callback_shows_no_address_the_idp_resolved_to(
    client, idp, mercy, username, monkeypatch
):
    """The token request refused by the pinned transport (the IdP's name now resolving to an
    internal address): the page says the service did not answer; the address is for the log."""
    start = client.post("/accounts/oidc/inst-mercy/login/")
    location = idp.sign_in(start["Location"], username, PASSWORD)

    def refused(self, request, *args, **kwargs):
        raise AddressRefused("refused: idp.mercy.example.org is 10.1.2.3, a private address", request=request)

    monkeypatch.setattr(PinnedTransport, "send", refused)
    response = _callback(client, location)
    assert response.status_code == 502
    page = response.content.decode()
    assert "Mercy General&#x27;s sign-in service could not be reached. Try again in a few minutes." in page
    assert "10.1.2.3" not in page
    _nobody_signed_in(client)


def _adapter_for(mercy, state_id: str) -> InstitutionOIDCAdapter:
    request = RequestFactory().get("/accounts/oidc/inst-mercy/login/callback/", {"state": state_id})
    return InstitutionOIDCAdapter(request, "inst-mercy")


def _claims(idp, mercy, state_id):
    return {"iss": idp.issuer, "aud": mercy.sso_app.client_id, "sub": "1", "exp": 4102444800,
            "iat": 1700000000, "nonce": sso.sso_nonce(state_id)}  # fmt: skip


@pytest.mark.django_db
def test_an_id_token_signed_with_another_key_or_a_shared_secret_is_refused(idp, mercy):
    """The token endpoint is trusted for nothing: the signature is checked against the JWKS always."""
    keys = requests.get(f"{idp.issuer}/.well-known/jwks.json", timeout=10).json()["keys"]
    kid = keys[0]["kid"]
    adapter = _adapter_for(mercy, "state-1")
    adapter.did_fetch_access_token = True  # as after a real code exchange
    forged = jwt.encode(
        _claims(idp, mercy, "state-1"), rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256", headers={"kid": kid},
    )  # fmt: skip
    with pytest.raises(OAuth2Error):
        adapter._decode_id_token(mercy.sso_app, forged)
    shared = jwt.encode(_claims(idp, mercy, "state-1"), SECRET * 2, algorithm="HS256", headers={"kid": kid})
    with pytest.raises(OAuth2Error, match="not an asymmetric algorithm"):
        adapter._decode_id_token(mercy.sso_app, shared)
    unsigned = jwt.encode(_claims(idp, mercy, "state-1"), None, algorithm="none")
    with pytest.raises(OAuth2Error, match="not an asymmetric algorithm"):
        adapter._decode_id_token(mercy.sso_app, unsigned)
    assert json.dumps(keys)  # the provider's real keys were there to check against


@pytest.mark.django_db
def test_a_network_failure_at_the_start_shows_no_address_the_idp_resolved_to(client, mercy, monkeypatch):
    def refused(self, request, *args, **kwargs):
        raise AddressRefused("refused: idp.mercy.example.org is 10.1.2.3, a private address")

    monkeypatch.setattr(InstitutionOIDCProvider, "redirect", refused)
    response = client.post("/accounts/oidc/inst-mercy/login/")
    assert response.status_code == 502
    page = response.content.decode()
    assert "Mercy General&#x27;s sign-in service could not be reached. Try again in a few minutes." in page
    assert "10.1.2.3" not in page
