"""Encryption at rest of TOTP secrets and recovery-code seeds (allauth's MFA adapter hooks).

Fernet (AES-128-CBC + HMAC-SHA256) with keys from ``PODCASTCME_MFA_ENCRYPTION_KEY``: a
comma-separated list, the first key encrypts and every key decrypts. To rotate: put the new key
first, run ``manage.py reencrypt_mfa_secrets``, then drop the old key.
Development and tests derive a fixed key from ``SECRET_KEY`` so nothing needs configuring;
production settings refuse to start without a valid key (``parse_keys``).
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SETTING = "PODCASTCME_MFA_ENCRYPTION_KEY"
# Every Fernet token starts with the version byte 0x80, "gAAAAA" in URL-safe base64. allauth's
# plaintext values (base32 upper case, hex lower case) can never start with a "g".
TOKEN_PREFIX = "gAAAAA"


class MFASecretUnreadable(RuntimeError):
    """A stored secret cannot be decrypted: the key it was written with is not configured."""


def parse_keys(value: str) -> list[bytes]:
    """The keys of a ``PODCASTCME_MFA_ENCRYPTION_KEY`` value; ValueError names what is wrong."""
    parts = [part.strip() for part in (value or "").split(",") if part.strip()]
    if not parts:
        raise ValueError(
            f"{SETTING} must be set: one or more Fernet keys, comma-separated, the newest first "
            '(python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    keys = []
    for number, part in enumerate(parts, start=1):
        try:
            Fernet(part.encode())
        except (ValueError, TypeError):
            raise ValueError(
                f"{SETTING}: key number {number} is not a Fernet key "
                "(32 bytes in URL-safe base64, 44 characters ending in '=')."
            ) from None
        keys.append(part.encode())
    return keys


def development_key(secret_key: str) -> bytes:
    """The key used when none is configured (development and tests only: production refuses)."""
    digest = hashlib.sha256(b"podcastcme mfa encryption key\0" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@functools.lru_cache(maxsize=8)
def _fernet(configured: str, secret_key: str) -> MultiFernet:
    keys = parse_keys(configured) if configured.strip() else [development_key(secret_key)]
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    from django.conf import settings

    return _fernet(settings.PODCASTCME_MFA_ENCRYPTION_KEY or "", settings.SECRET_KEY)


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def transform_secrets(data: dict, change) -> dict:
    """``data`` of an allauth Authenticator with ``change`` applied to each secret it holds: the
    TOTP ``secret``, the recovery-code ``seed`` and imported ``migrated_codes`` (the values allauth
    passes through ``encrypt``/``decrypt``)."""
    data = dict(data)
    for field in ("secret", "seed"):
        if isinstance(data.get(field), str):
            data[field] = change(data[field])
    if isinstance(data.get("migrated_codes"), list):
        data["migrated_codes"] = [change(code) for code in data["migrated_codes"]]
    return data


def reencrypt(token: str) -> str:
    """``token`` encrypted with the first configured key (rotation)."""
    decrypt(token)  # the clear error when no configured key opens it
    return _current().rotate(token.encode()).decode()


def encrypt(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    if not is_encrypted(token):
        raise MFASecretUnreadable(
            "A two-factor secret is stored unencrypted: run `manage.py migrate accounts` "
            "(migration 0002 encrypts existing secrets)."
        )
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise MFASecretUnreadable(
            f"A two-factor secret cannot be decrypted with the keys in {SETTING}: the key it was "
            "encrypted with must stay in the list (after the new one) until every secret is "
            "re-encrypted."
        ) from None
