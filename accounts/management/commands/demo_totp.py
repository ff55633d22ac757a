"""Print the current TOTP code of the demo host, coordinator and admin. Development only."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current two-factor code for the demo host, coordinator and admin accounts."

    def handle(self, *args, **options):
        if not getattr(settings, "PODCASTCME_DEMO_ALLOWED", False):
            raise CommandError("demo_totp is for development only.")
        from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        remaining = 30 - int(time.time()) % 30
        self.stdout.write(f"{code}  (valid for {remaining} more seconds)")
