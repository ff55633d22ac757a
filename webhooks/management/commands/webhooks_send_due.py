"""Enqueue the webhook attempts that are due (retries whose time came, attempts whose worker was lost)."""

from django.core.management.base import BaseCommand

from webhooks.tasks import deliveries_send_due


class Command(BaseCommand):
    help = "Enqueue every webhook delivery attempt that is due (the task worker also sweeps them)."

    def handle(self, *args, **options):
        count = deliveries_send_due()
        self.stdout.write(f"{count} webhook attempt(s) enqueued.")
