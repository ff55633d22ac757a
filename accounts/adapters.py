"""allauth integration: emails carry our site URL and subject prefix; MFA secrets are encrypted."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from . import mfa_encryption
from .mfa_encryption import MFASecretUnreadable  # noqa: F401  (raised by MFAAdapter.decrypt)


class AccountAdapter(DefaultAccountAdapter):
    def get_from_email(self):
        return settings.DEFAULT_FROM_EMAIL

    def is_open_for_signup(self, request):
        return getattr(settings, "ACCOUNT_SIGNUP_OPEN", True)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored Fernet-encrypted (accounts/mfa_encryption.py)."""

    def encrypt(self, text: str) -> str:
        return mfa_encryption.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_encryption.decrypt(encrypted_text)
