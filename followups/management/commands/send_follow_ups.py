"""Send the follow-ups that are due (and close the expired ones): cron, by hand, or the worker's sweep."""

from django.core.management.base import BaseCommand

from followups.scheduler import follow_ups_send_due


class Command(BaseCommand):
    help = (
        "Send every follow-up whose day has come, in batches (FOLLOW_UP_SEND_BATCH), and close the "
        "links that have expired. Safe to run from several places at once (rows are taken with SKIP LOCKED)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None, help="follow-ups per transaction")

    def handle(self, *args, **options):
        counts = follow_ups_send_due(batch_size=options["batch_size"])
        self.stdout.write(
            f"sent {counts['sent']}, cancelled {counts['cancelled']}, expired {counts['expired']}, "
            f"in {counts['batches']} batches"
        )
