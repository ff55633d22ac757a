"""Encrypt the TOTP secrets and recovery-code seeds allauth stored in the clear before the
MFA adapter encrypted them (accounts/mfa_encryption.py), so no one is locked out by the change.

Idempotent: values that are already Fernet tokens are left alone. The reverse migration writes the
clear values back (so rolling the code back keeps two-factor logins working).
"""

from django.db import migrations

from accounts import mfa_encryption


def _rewrite(apps, change):
    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.filter(type__in=["totp", "recovery_codes"]).iterator():
        data = mfa_encryption.transform_secrets(row.data or {}, change)
        if data != row.data:
            Authenticator.objects.filter(pk=row.pk).update(data=data)


def _encrypt_if_clear(value: str) -> str:
    return value if mfa_encryption.is_encrypted(value) else mfa_encryption.encrypt(value)


def _decrypt_if_encrypted(value: str) -> str:
    return mfa_encryption.decrypt(value) if mfa_encryption.is_encrypted(value) else value


def encrypt_plaintext_secrets(apps, schema_editor):
    _rewrite(apps, _encrypt_if_clear)


def decrypt_secrets(apps, schema_editor):
    _rewrite(apps, _decrypt_if_encrypted)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_outgoing_email"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_plaintext_secrets, decrypt_secrets, elidable=False)]
