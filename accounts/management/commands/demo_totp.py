"""Print the current TOTP code of the demo host, coordinator and admin. Development only."""

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_HOST
from accounts.mfa_encryption import MFASecretUnreadable


class Command(BaseCommand):
    help = "Print the current two-factor code for the demo host, coordinator and admin accounts."

    def handle(self, *args, **options):
        if not settings.PODCASTCME_DEMO_ALLOWED:
            raise CommandError("demo_totp is for development only.")
        # The code comes from the secret as stored (decrypted with the configured key), so it is
        # the code the login will accept, not merely what seed_demo meant to store.
        device = Authenticator.objects.filter(
            user__email__iexact=DEMO_HOST, type=Authenticator.Type.TOTP
        ).first()
        if device is None:
            raise CommandError("No demo two-factor device: run `manage.py seed_demo` first.")
        try:
            secret = decrypt(device.data["secret"])
        except MFASecretUnreadable as error:
            raise CommandError(
                f"{error} In development the key is derived from SECRET_KEY: use the SECRET_KEY "
                "the demo was seeded with, or start from a fresh database."
            ) from None
        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(secret, counter))
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code}  (valid for {remaining} more seconds)")
