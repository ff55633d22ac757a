"""Re-encrypt every stored two-factor secret with the first key of PODCASTCME_MFA_ENCRYPTION_KEY."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import mfa_encryption


class Command(BaseCommand):
    help = (
        "Key rotation: re-encrypt TOTP secrets and recovery-code seeds with the first key of "
        "PODCASTCME_MFA_ENCRYPTION_KEY (the old keys must still be listed after it). Afterwards "
        "the old keys can be removed."
    )

    def handle(self, *args, **options):
        from allauth.mfa.models import Authenticator

        def change(value: str) -> str:
            if not mfa_encryption.is_encrypted(value):
                return mfa_encryption.encrypt(value)
            return mfa_encryption.reencrypt(value)

        count = 0
        try:
            with transaction.atomic():
                rows = Authenticator.objects.select_for_update().filter(
                    type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
                )
                for row in rows:
                    data = mfa_encryption.transform_secrets(row.data or {}, change)
                    Authenticator.objects.filter(pk=row.pk).update(data=data)
                    count += 1
        except mfa_encryption.MFASecretUnreadable as error:
            raise CommandError(f"{error} Nothing was changed.") from None
        self.stdout.write(f"Re-encrypted the two-factor secrets of {count} authenticators.")
