"""Send the account and certificate emails that are waiting (the mail server was down): cron or by hand."""

from django.core.management.base import BaseCommand

from accounts.mail import emails_send_due


class Command(BaseCommand):
    help = (
        "Try the stored emails whose next try is due (with --all: every one still waiting, now). "
        "The task worker retries on its own; run this from cron as a safety net, or once the mail "
        "server is back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="try every waiting email now")

    def handle(self, *args, **options):
        counts = emails_send_due(everything=options["all"])
        self.stdout.write(
            f"sent {counts['sent']}, to retry {counts['retry']}, given up {counts['gave up']}, "
            f"busy {counts['skipped']}"
        )
        if counts["retry"] or counts["gave up"]:
            self.stderr.write("Some emails could not be sent: is the mail server (EMAIL_HOST) reachable?")
