"""Two-factor for tests and the bench: activate TOTP as allauth does, compute codes, log a client in."""

import base64
import hashlib
import hmac
import struct
import time

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from testkit.factories import PASSWORD


def give_totp(user) -> str:
    """Activate TOTP for ``user`` the way allauth does; return the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def totp_now(secret: str, at: float | None = None) -> str:
    """RFC 6238 code, computed independently of allauth."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def mfa_login(client, user, *, secret: str | None = None) -> str | None:
    """Log ``client`` in as ``user`` the way a finished two-factor login leaves the session.

    Activates TOTP when the user has none, then records a password step and a TOTP step in the
    session exactly as allauth's login flow does (``account_authentication_methods``), so the MFA
    gate sees that *this session* completed the second factor. Returns the TOTP secret (``None``
    when the user already had a device and no ``secret`` was passed).
    """
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


def mfa_login_reauthenticated(client, user) -> None:
    """``mfa_login``, then the password proven again on allauth's reauthentication page, as a
    session has just done before a page that asks for it (saving SSO settings, say)."""
    mfa_login(client, user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})


def browser_login_with_totp(page, email: str, secret: str) -> None:
    """Log in through allauth's pages in a Playwright ``page``: password, then the TOTP code."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    account = page.get_by_role("link", name="Account")
    refused = page.get_by_text("Incorrect code")
    for _ in range(2):
        page.get_by_label("Code").fill(_fresh_code(secret))
        page.get_by_role("button", name="Sign In").click()
        account.or_(refused).first.wait_for()
        if account.count():
            return
        # allauth accepts a code once and only in its own 30 s window (no tolerance): a code this
        # user already spent in the window, e.g. an earlier login in the same test, is refused.
        # A person waits for the next code; so does the test.
        time.sleep(30 - time.time() % 30 + 0.2)
    account.wait_for()


def _fresh_code(secret: str) -> str:
    """The current code, or the next one when the current window ends within 3 s."""
    remaining = 30 - time.time() % 30
    if remaining < 3:
        time.sleep(remaining + 0.2)
    return totp_now(secret)
