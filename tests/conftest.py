"""Fixtures shared by every test: users in each role, built with the real models."""

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import caches

from accounts.models import Degree, LearnerProfile, User
from credits.models import Provider, ProviderCoordinator
from episodes.models import Show, ShowHost

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits and built feeds live in caches; each test starts with a clean slate.
    from episodes.feeds import forget_built_feeds

    for cache in caches.all():
        cache.clear()
    forget_built_feeds()
    yield
    for cache in caches.all():
        cache.clear()
    forget_built_feeds()


@pytest.fixture(autouse=True)
def _every_page_has_a_content_security_policy(monkeypatch):
    """Every HTML page any test renders through the test client carries the CSP (issue 10, hole 11)."""
    from django.test.client import ClientHandler

    render = ClientHandler.__call__

    def checked(self, environ):
        response = render(self, environ)
        if response.get("Content-Type", "").startswith("text/html"):
            assert "Content-Security-Policy" in response, f"no CSP on {environ.get('PATH_INFO')}"
        return response

    monkeypatch.setattr(ClientHandler, "__call__", checked)


@pytest.fixture
def make_user(db):
    def _make(email: str = "learner@example.org", *, verified: bool = True, profile: bool = False, **extra):
        user = User.objects.create_user(email=email, password=PASSWORD, **extra)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        if profile:
            LearnerProfile.objects.create(
                user=user, given_name="Ada", family_name="Lovelace", degree=Degree.MD
            )
        return user

    return _make


@pytest.fixture
def learner(make_user):
    return make_user("learner@example.org", profile=True)


@pytest.fixture
def provider(db):
    return Provider.objects.create(name="Society of Testing", slug="sot")


@pytest.fixture
def show(db):
    return Show.objects.create(
        title="Airway Rounds",
        slug="airway-rounds",
        description="Short cases in airway management for anaesthetists.",
        author="Society of Testing",
        owner_name="Society of Testing",
        owner_email="podcast@example.org",
    )


@pytest.fixture
def host(make_user, show):
    user = make_user("host@example.org")
    ShowHost.objects.create(show=show, user=user)
    return user


@pytest.fixture
def coordinator(make_user, provider):
    user = make_user("coordinator@example.org")
    ProviderCoordinator.objects.create(provider=provider, user=user)
    return user


def give_totp(user) -> str:
    """Activate TOTP for ``user`` the way allauth does; return the secret."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_now(secret: str, at: float | None = None) -> str:
    """RFC 6238 code, computed independently of allauth."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def mfa_login(client, user, *, secret: str | None = None) -> str:
    """Log ``client`` in as ``user`` the way a finished two-factor login leaves the session.

    Activates TOTP when the user has none, then records a password step and a TOTP step in the
    session exactly as allauth's login flow does (``account_authentication_methods``), so the MFA
    gate sees that *this session* completed the second factor. Returns the TOTP secret (``None``
    when the user already had a device and no ``secret`` was passed).
    """
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    device = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if device is None:
        secret = give_totp(user)
        device = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "id": device.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return secret
