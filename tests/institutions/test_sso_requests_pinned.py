"""The requests allauth makes at sign-in (token exchange, JWKS, userinfo) go through the pinned
transport of institutions/sso_adapter.py (SocialAccountAdapter.get_requests_session): each host
resolved once and checked, the connection made to the checked address, redirects checked hop by
hop. (The full sign-in through it is tests/institutions/test_sso_flow.py.)"""

import json
import socket
from urllib.parse import urlsplit

import pytest
import requests
from allauth.socialaccount.adapter import get_adapter

from institutions import sso
from institutions.sso_adapter import AddressRefused, PinnedTransport
from testkit.dns import PUBLIC_ADDRESS, intercepted_connects, scripted_getaddrinfo
from testkit.loopback import LoopbackServer, QuietHandler
from testkit.oidc import IDP_PASSWORD, add_idp_user, sso_sign_in

PUBLIC = PUBLIC_ADDRESS


@pytest.fixture
def idp_endpoint():
    seen: list[dict] = []

    class Handler(QuietHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            seen.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "host": self.headers["Host"],
                    "body": self.rfile.read(length).decode(),
                }
            )
            if self.path in {"/moved-307", "/hop1", "/hop2", "/hop3"}:
                target = {"/moved-307": "/token", "/hop1": "/hop2", "/hop2": "/hop3", "/hop3": "/end"}
                self.send_response(307 if self.path == "/moved-307" else 302)
                self.send_header("Location", target[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path == "/cookies":
                self.send_response(200)
                self.send_header("Set-Cookie", "a=1")
                self.send_header("Set-Cookie", "b=2")
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")
                return
            if self.path == "/to-private":
                self.send_response(302)
                self.send_header("Location", "http://10.0.0.8/keys")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = json.dumps({"keys": [], "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _answer
        do_POST = _answer

    server = LoopbackServer(Handler)
    server.seen = seen
    yield server
    server.stop()


def test_the_session_allauth_uses_makes_its_requests_through_the_pinned_transport(settings, idp_endpoint):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    with get_adapter().get_requests_session() as session:
        assert isinstance(session.get_adapter("https://idp.example/"), PinnedTransport)
        assert session.trust_env is False
        answer = session.post(idp_endpoint.url("/token"), data={"code": "abc", "grant_type": "x"})
        assert answer.status_code == 200 and answer.json()["path"] == "/token"
        assert answer.headers["content-type"] == "application/json"
    (seen,) = idp_endpoint.seen
    assert seen["method"] == "POST" and seen["body"] == "code=abc&grant_type=x"
    assert seen["host"] == f"127.0.0.1:{idp_endpoint.port}"


def test_loopback_is_refused_unless_tests_allow_it(settings, idp_endpoint):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    with get_adapter().get_requests_session() as session:
        with pytest.raises(AddressRefused, match="127.0.0.1, a loopback address"):
            session.get(idp_endpoint.url("/jwks"))
    assert idp_endpoint.seen == []
    assert issubclass(AddressRefused, requests.RequestException)  # the "could not be reached" page


def test_a_jwks_host_rebinding_to_loopback_is_never_reached(settings, idp_endpoint, monkeypatch):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    rebinding = scripted_getaddrinfo(PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    dialled = intercepted_connects(monkeypatch)
    with get_adapter().get_requests_session() as session:
        with pytest.raises(requests.ConnectionError):
            session.get(f"https://idp.rebind.example:{idp_endpoint.port}/jwks")
    assert rebinding.calls == ["idp.rebind.example"] and dialled == [(PUBLIC, idp_endpoint.port)]
    assert idp_endpoint.seen == []


def test_a_redirect_into_a_private_address_is_refused_at_that_hop(settings, idp_endpoint):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    with get_adapter().get_requests_session() as session:
        with pytest.raises(AddressRefused, match="10.0.0.8, a private address"):
            session.get(idp_endpoint.url("/to-private"))
    assert [s["path"] for s in idp_endpoint.seen] == ["/to-private"]


@pytest.mark.django_db
def test_a_whole_sign_in_makes_its_token_jwks_and_userinfo_requests_through_the_transport(
    client, idp, mercy, monkeypatch
):
    sent: list[str] = []
    real_send = PinnedTransport.send

    def recording(self, request, *args, **kwargs):
        sent.append(f"{request.method} {urlsplit(request.url).path}")
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(PinnedTransport, "send", recording)
    username = add_idp_user(idp, email="ward@mercy.example.org", verified=True)
    response = sso_sign_in(client, idp, "inst-mercy", username, IDP_PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in client.session
    assert {path.split()[0] for path in sent} <= {"GET", "POST"}
    config = sso.discovery_document(issuer=mercy.sso_app.settings["server_url"])
    endpoints = {urlsplit(config[name]).path for name in ("token_endpoint", "jwks_uri", "userinfo_endpoint")}
    assert {path.split()[1] for path in sent} == endpoints


def test_a_307_to_a_request_with_a_body_is_not_followed(settings, idp_endpoint):
    """requests would post the code, its verifier and a client secret again wherever it points."""
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    with get_adapter().get_requests_session() as session:
        with pytest.raises(requests.ConnectionError, match="answered 307"):
            session.post(idp_endpoint.url("/moved-307"), data={"code": "abc", "client_secret": "s"})
    assert [(s["method"], s["path"]) for s in idp_endpoint.seen] == [("POST", "/moved-307")]


def test_at_most_two_redirects_are_followed(settings, idp_endpoint):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    with get_adapter().get_requests_session() as session:
        with pytest.raises(requests.TooManyRedirects):
            session.get(idp_endpoint.url("/hop1"))
    assert [s["path"] for s in idp_endpoint.seen] == ["/hop1", "/hop2", "/hop3"]


def test_the_answer_is_a_whole_requests_response_streamed_or_not(settings, idp_endpoint):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    with get_adapter().get_requests_session() as session:
        answer = session.get(idp_endpoint.url("/cookies"))
        assert answer.headers["Set-Cookie"] == "a=1, b=2"  # repeated headers joined, none lost
        streamed = session.get(idp_endpoint.url("/cookies"), stream=True)
        assert b"".join(streamed.iter_content(2)) == b"hello"
        streamed.close()
