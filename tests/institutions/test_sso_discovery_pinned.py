"""The single sign-on set-up fetches the IdP's discovery document through the site's pinned request
(episodes/pinned_http.py): a name that answers a public address to the check and a loopback one
afterwards (DNS rebinding) never leads the fetch to loopback, and an issuer on a private, loopback,
link-local or IPv6-mapped address is refused in the set-up form with a clear message (400, nothing
saved, no audit row)."""

import json
import socket

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from audit.models import AuditEvent
from institutions import sso
from institutions.errors import InstitutionError
from testkit import factories
from testkit.dns import PUBLIC_ADDRESS, intercepted_connects, scripted_getaddrinfo
from testkit.institutions import make_institution, make_institution_admin
from testkit.loopback import LoopbackServer, QuietHandler
from testkit.mfa import mfa_login_reauthenticated

PUBLIC = PUBLIC_ADDRESS
SECRET = "hospital-client-secret-0123456789"


@pytest.fixture
def discovery_server():
    """A loopback server that answers any discovery request (it must receive none)."""
    seen: list[str] = []

    class Handler(QuietHandler):
        def do_GET(self):
            seen.append(self.path)
            issuer = f"https://{self.headers['Host']}/o"
            body = json.dumps(
                {"issuer": issuer} | {name: f"{issuer}/{name}" for name in sso.ENDPOINTS}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = LoopbackServer(Handler)
    server.seen = seen
    yield server
    server.stop()


def test_a_name_rebinding_to_loopback_between_check_and_fetch_is_refused(
    settings, discovery_server, monkeypatch
):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    monkeypatch.setattr(socket, "getaddrinfo", scripted_getaddrinfo(PUBLIC, "127.0.0.1"))
    issuer = f"https://idp.rebind.example:{discovery_server.port}/o"
    with pytest.raises(InstitutionError) as refused:
        sso.discovery_document(issuer=issuer)
    assert refused.value.code == "sso_issuer_invalid"
    assert "resolves to a loopback address" in refused.value.message
    assert "127.0.0.1" not in refused.value.message
    assert discovery_server.seen == []


def test_the_fetch_connects_to_the_address_it_checked_not_to_a_later_answer(
    settings, discovery_server, monkeypatch
):
    # The check and the fetch's own look-up both see the public address; every later look-up
    # would answer loopback. A client that resolves again to connect would reach the server.
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    resolver = scripted_getaddrinfo(PUBLIC, PUBLIC, "127.0.0.1")
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    dialled = intercepted_connects(monkeypatch)
    issuer = f"https://idp.rebind.example:{discovery_server.port}/o"
    with pytest.raises(InstitutionError) as refused:
        sso.discovery_document(issuer=issuer)
    assert refused.value.code == "sso_issuer_unreachable" and refused.value.status == 502
    assert "did not answer" in refused.value.message
    assert len(resolver.calls) == 2  # the issuer's check, the fetch's one look-up; none to connect
    assert dialled == [(PUBLIC, discovery_server.port)]
    assert discovery_server.seen == []


@pytest.fixture
def hospital(provider):
    return make_institution(provider, name="St Elsewhere", slug="st-elsewhere")


@pytest.fixture
def admin_client(client, hospital):
    admin = make_institution_admin(hospital, factories.make_user("it@st-elsewhere.example.org"))
    mfa_login_reauthenticated(client, admin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("issuer", "answers", "message"),
    [
        ("https://idp.st-elsewhere.example/o", "127.0.0.1", "resolves to a loopback address"),
        ("https://idp.st-elsewhere.example/o", "10.20.0.4", "resolves to a private address"),
        ("https://idp.st-elsewhere.example/o", "169.254.169.254", "resolves to a link-local address"),
        ("https://idp.st-elsewhere.example/o", "fe80::1", "resolves to a link-local address"),
        ("https://idp.st-elsewhere.example/o", "::ffff:127.0.0.1", "resolves to a loopback address"),
        ("https://idp.st-elsewhere.example/o", "::ffff:10.0.0.1", "resolves to a private address"),
        ("https://[::ffff:169.254.169.254]/o", None, "::ffff:169.254.169.254, a link-local address"),
        ("https://127.0.0.1/o", None, "points at 127.0.0.1, a loopback address"),
        ("https://[::1]/o", None, "points at ::1, a loopback address"),
    ],
)
def test_an_issuer_on_a_non_public_address_is_a_form_error_and_nothing_is_saved(
    settings, admin_client, hospital, monkeypatch, issuer, answers, message
):
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = False
    if answers is not None:
        monkeypatch.setattr(socket, "getaddrinfo", scripted_getaddrinfo(answers))
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("no connection may be made"))
    response = admin_client.post(
        reverse("institutions:sso_settings", kwargs={"slug": hospital.slug}),
        {"issuer": issuer, "client_id": "podcastcme", "client_secret": SECRET},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "not the public internet" in page
    if answers is not None:  # the address a host name resolved to (internal DNS) is never shown back
        assert answers not in page
    hospital.refresh_from_db()
    assert hospital.sso_app is None
    assert not SocialApp.objects.exists()
    assert not AuditEvent.objects.filter(action="institution.sso_configured").exists()
