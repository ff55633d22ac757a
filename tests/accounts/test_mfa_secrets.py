"""TOTP secrets and recovery-code seeds are stored encrypted (Fernet, key from the environment);
rows stored in the clear before are encrypted by a migration; the demo code still prints."""

import importlib
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.demo import DEMO_HOST, DEMO_TOTP_SECRET
from testkit.factories import PASSWORD
from testkit.mfa import give_totp, totp_now

ROOT = Path(__file__).resolve().parents[2]
STRONG_SECRET_KEY = "k3Jx9-QpL2vR8sT1uW4yZ7aB0cD3eF6gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6aB9cD2e"


def _totp_row(user) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)


def _codes_row(user) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)


def test_the_totp_secret_is_not_stored_in_the_clear(host):
    secret = give_totp(host)
    stored = _totp_row(host).data["secret"]
    assert stored != secret
    assert secret not in str(_totp_row(host).data)
    assert secret.lower() not in str(_totp_row(host).data).lower()


def test_the_recovery_code_seed_is_not_stored_in_the_clear(host):
    give_totp(host)
    row = _codes_row(host)
    # allauth's plaintext seed is 80 hex characters; the stored value must not be one.
    assert not re.fullmatch(r"[0-9a-f]{80}", row.data["seed"])
    codes = RecoveryCodes(row).generate_codes()
    for code in codes:
        assert code not in str(row.data)
    assert RecoveryCodes(row).validate_code(codes[0])


def test_the_stored_secret_still_logs_in_through_the_totp_stage(client, host):
    secret = give_totp(host)
    client.post(reverse("account_login"), {"login": host.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now(secret)})
    assert response.status_code == 302
    assert client.get(reverse("episodes:host_dashboard")).status_code == 200


def test_a_configured_key_is_used_and_old_keys_still_decrypt(host):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=old):
        secret = give_totp(host)
        token = _totp_row(host).data["secret"]
        assert Fernet(old).decrypt(token.encode()).decode() == secret
    # Rotation: the first key encrypts, every listed key decrypts.
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=f"{new},{old}"):
        assert TOTP(_totp_row(host)).validate_code(totp_now(secret))
        from allauth.mfa.utils import encrypt

        assert Fernet(new).decrypt(encrypt("abc").encode()) == b"abc"


def test_reencrypt_moves_every_secret_to_the_new_key(host, coordinator):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=old):
        secret = give_totp(host)
        give_totp(coordinator)
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=f"{new},{old}"):
        out = StringIO()
        call_command("reencrypt_mfa_secrets", stdout=out)
        assert "4 authenticators" in out.getvalue()
    # The old key can now be dropped.
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=new):
        assert TOTP(_totp_row(host)).validate_code(totp_now(secret))
        assert RecoveryCodes(_codes_row(coordinator)).generate_codes()


def test_reencrypt_without_the_old_key_changes_nothing(host):
    from django.core.management.base import CommandError

    give_totp(host)
    before = _totp_row(host).data
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        with pytest.raises(CommandError, match="Nothing was changed"):
            call_command("reencrypt_mfa_secrets", stdout=StringIO())
    assert _totp_row(host).data == before


def test_a_secret_under_a_key_no_longer_configured_fails_with_a_clear_error(host):
    from accounts.adapters import MFASecretUnreadable

    give_totp(host)
    with override_settings(PODCASTCME_MFA_ENCRYPTION_KEY=Fernet.generate_key().decode()):
        with pytest.raises(MFASecretUnreadable, match="PODCASTCME_MFA_ENCRYPTION_KEY"):
            TOTP(_totp_row(host)).validate_code("123456")


def test_the_migration_encrypts_rows_stored_in_the_clear_and_skips_encrypted_ones(host, coordinator):
    migration = importlib.import_module("accounts.migrations.0002_encrypt_mfa_secrets")
    plaintext_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
    plaintext_seed = "ab" * 40
    # Rows as allauth wrote them before the adapter encrypted anything.
    Authenticator.objects.create(user=host, type=Authenticator.Type.TOTP, data={"secret": plaintext_secret})
    Authenticator.objects.create(
        user=host,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": plaintext_seed, "used_mask": 0, "migrated_codes": ["11111111"]},
    )
    give_totp(coordinator)  # already encrypted
    coordinator_before = _totp_row(coordinator).data["secret"]

    migration.encrypt_plaintext_secrets(apps, None)
    migration.encrypt_plaintext_secrets(apps, None)  # twice: nothing encrypted twice

    row = _totp_row(host)
    assert row.data["secret"] != plaintext_secret
    assert TOTP(row).validate_code(totp_now(plaintext_secret))
    codes = _codes_row(host)
    assert codes.data["seed"] != plaintext_seed and "11111111" not in str(codes.data)
    assert RecoveryCodes(codes).get_unused_codes() == ["11111111"]
    assert _totp_row(coordinator).data["secret"] == coordinator_before

    migration.decrypt_secrets(apps, None)  # the reverse migration restores the clear values
    assert _totp_row(host).data["secret"] == plaintext_secret
    assert _codes_row(host).data["seed"] == plaintext_seed


def test_demo_totp_prints_the_code_the_stored_device_accepts(make_user):
    host = make_user(DEMO_HOST)
    TOTP.activate(host, DEMO_TOTP_SECRET)  # as seed_demo does
    out = StringIO()
    call_command("demo_totp", stdout=out)
    code = out.getvalue().split()[0]
    assert code == totp_now(DEMO_TOTP_SECRET)
    assert TOTP(_totp_row(host)).validate_code(code)


def test_demo_totp_explains_a_missing_device_or_a_changed_key(make_user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_totp", stdout=StringIO())
    host = make_user(DEMO_HOST)
    TOTP.activate(host, DEMO_TOTP_SECRET)
    with override_settings(SECRET_KEY="another-development-key-" + "x" * 40):
        with pytest.raises(CommandError, match="SECRET_KEY the demo was seeded with"):
            call_command("demo_totp", stdout=StringIO())


def _prod_check(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "PODCASTCME_MFA_ENCRYPTION_KEY"}
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "podcastcme.settings.prod",
            "SECRET_KEY": STRONG_SECRET_KEY,
            "ALLOWED_HOSTS": "cme.example.org",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("key", [None, "", "not-a-fernet-key", f"{Fernet.generate_key().decode()},short"])
def test_production_refuses_a_missing_or_malformed_mfa_key(key):
    result = _prod_check(**({} if key is None else {"PODCASTCME_MFA_ENCRYPTION_KEY": key}))
    assert result.returncode != 0
    assert "PODCASTCME_MFA_ENCRYPTION_KEY" in result.stderr


def test_production_starts_with_a_valid_mfa_key_list():
    keys = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    result = _prod_check(PODCASTCME_MFA_ENCRYPTION_KEY=keys)
    assert result.returncode == 0, result.stderr
