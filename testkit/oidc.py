"""The test identity provider (testkit/oidc_provider/, django-oauth-toolkit) in a second process.

``oidc_provider_process()`` starts it on a free loopback port with its SQLite file in a temporary
folder and stops it at the end; tests share one for the whole session (the ``oidc_idp`` fixture in
tests/institutions/) and set it up per test through its /_control/ endpoints:

    idp.register_client(client_id, secret, redirect_uris)   # a confidential client, RS256, no consent screen
    idp.add_user("dr.ward", "pw", email="ward@mercy.example.org", email_verified=True)
    idp.misbehave(token_issuer="https://elsewhere.example")   # or discovery_issuer=..., deny=True
    idp.reset()

``idp.sign_in(authorize_url, username, password)`` plays the browser at the provider: it follows the
authorization request to the provider's login page, signs in, and returns the redirect back to the
site (the callback URL with ``code`` and ``state``, or ``error``), without following it.

The set-up every single sign-on test needs is here once: ``fresh_oidc_provider()`` (the shared
provider with no misbehaviour left over), ``institution_with_sso(idp, provider)`` (an institution
with seats whose IdP is configured through the real set-up service, sso.sso_configure) and
``add_idp_user(idp, email=...)`` (a user at the provider, signing in with IDP_PASSWORD). The
``idp`` and ``mercy`` fixtures of tests/institutions/conftest.py use them.
"""

import atexit
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from credits.models import Provider
from institutions import sso
from institutions.models import Institution
from testkit.institutions import give_seats, make_institution
from testkit.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


class OIDCProvider:
    def __init__(self, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.issuer = f"{self.base}/o"

    def _control(self, what: str, data: dict) -> dict:
        response = requests.post(f"{self.base}/_control/{what}", json=data, timeout=10)
        response.raise_for_status()
        return response.json()

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self._control(
            "client", {"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris}
        )

    def add_user(
        self,
        username: str,
        password: str,
        *,
        email: str | None,
        email_verified: bool | None = True,
        name: str = "",
    ) -> None:
        self._control(
            "user",
            {
                "username": username,
                "password": password,
                "email": email,
                "email_verified": email_verified,
                "name": name or None,
            },
        )

    def misbehave(self, **overrides) -> None:
        self._control("overrides", overrides)

    def reset(self) -> None:
        self._control("overrides", {})

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """Follow ``authorize_url`` through the provider's login page; return where it sends the
        browser back."""
        browser = requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        if response.status_code == 302 and response.headers["Location"].startswith("/login/"):
            login_url = urljoin(self.base, response.headers["Location"])
            page = browser.get(login_url, timeout=10)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            next_field = re.search(r'name="next" value="([^"]*)"', page.text)
            assert token and next_field, page.text[:500]
            response = browser.post(
                login_url,
                data={
                    "csrfmiddlewaretoken": token.group(1),
                    "username": username,
                    "password": password,
                    "next": next_field.group(1).replace("&amp;", "&"),
                },
                headers={"Referer": login_url},
                allow_redirects=False,
                timeout=10,
            )
            assert response.status_code == 302, f"the provider refused the login: {response.text[:500]}"
            response = browser.get(
                urljoin(self.base, response.headers["Location"]), allow_redirects=False, timeout=10
            )
        assert response.status_code == 302, (
            f"the provider did not redirect back: {response.status_code} {response.text[:500]}"
        )
        return response.headers["Location"]


@contextmanager
def oidc_provider_process() -> Iterator[OIDCProvider]:
    """Start the provider (migrating a new SQLite file), wait until it answers, stop it at the end."""
    workdir = Path(tempfile.mkdtemp(prefix="podcastcme-oidc-idp-"))
    port = free_port()
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DJANGO_SETTINGS_MODULE="testkit.oidc_provider.settings",
        OIDC_PROVIDER_DB=str(workdir / "idp.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
    )
    log = workdir / "idp.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "testkit.oidc_provider.serve", str(port)],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    provider = OIDCProvider(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{provider.base}/_control/ping", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the OIDC provider did not start: {log.read_text(errors='replace')[-2000:]}"
                )
            time.sleep(0.05)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_shared: OIDCProvider | None = None


def shared_oidc_provider() -> OIDCProvider:
    """One provider for the whole test session (started at first use, stopped when Python exits):
    migrating its database and making its key takes about two seconds."""
    global _shared
    if _shared is None:
        context = oidc_provider_process()
        _shared = context.__enter__()
        atexit.register(context.__exit__, None, None, None)
    return _shared


def sso_sign_in(
    client, idp: OIDCProvider, provider_id: str, username: str, password: str, *, next_url: str = ""
):
    """The whole sign-in with Django's test client on our side: POST to start it, the provider's login
    page (played by ``idp.sign_in``), then the callback. Returns the callback's response."""
    data = {"next": next_url} if next_url else {}
    start = client.post(f"/accounts/oidc/{provider_id}/login/", data)
    assert start.status_code == 302, start.content[:500]
    back = urlsplit(idp.sign_in(start["Location"], username, password))
    return client.get(f"{back.path}?{back.query}")


# The client secret an institution's IdP registration gets, and the password of every IdP user made
# by add_idp_user (tests assert that the secret is never shown back).
IDP_CLIENT_SECRET = "mercy-client-secret-0123456789"
IDP_PASSWORD = "idp-password-2026"


def fresh_oidc_provider() -> OIDCProvider:
    """The shared provider, with no misbehaviour left by an earlier test."""
    idp = shared_oidc_provider()
    idp.reset()
    return idp


def institution_with_sso(
    idp: OIDCProvider,
    provider: Provider,
    *,
    name: str = "Mercy General",
    slug: str = "mercy",
    seats: int = 3,
    site_url: str = "http://testserver",
    domains: tuple[str, ...] = ("mercy.example.org",),
    client_secret: str = IDP_CLIENT_SECRET,
) -> Institution:
    """An institution of ``provider`` with ``seats`` seats and its IdP configured through the real
    set-up service: a new client registered at ``idp`` with our callback at ``site_url`` (the test
    client's host, or a live server's URL). Needs PODCASTCME_SSO_ALLOW_LOOPBACK (the IdP is on
    127.0.0.1)."""
    institution = make_institution(provider, name=name, slug=slug, domains=domains)
    give_seats(institution, seats)
    client_id = f"podcastcme-{uuid.uuid4().hex[:8]}"
    idp.register_client(client_id, client_secret, [site_url + sso.sso_callback_path(institution)])
    sso.sso_configure(
        institution=institution,
        issuer=idp.issuer,
        client_id=client_id,
        client_secret=client_secret,
        actor=None,
    )
    institution.refresh_from_db()
    return institution


def add_idp_user(
    idp: OIDCProvider, *, email: str | None = "ward@mercy.example.org", verified: bool | None = True
) -> str:
    """A new user at the provider (password IDP_PASSWORD); returns the username to sign in with."""
    username = f"u{uuid.uuid4().hex[:10]}"
    idp.add_user(username, IDP_PASSWORD, email=email, email_verified=verified)
    return username
