"""Block (or unblock) a domain for the whole site: ``manage.py fediverse_block spam.example --reason "..."``,
``manage.py fediverse_block spam.example --remove``; ``--list`` shows the site-wide blocks."""

from django.core.management.base import BaseCommand, CommandError

from fediverse.blocks import BlockError, domain_block, domain_unblock
from fediverse.models import BlockedDomain


class Command(BaseCommand):
    help = "Block a fediverse domain (and its subdomains) for every show, or lift the block (--remove)."

    def add_arguments(self, parser):
        parser.add_argument("domain", nargs="?", help="the domain, like spam.example")
        parser.add_argument("--reason", default="", help="why (kept with the block and in the audit log)")
        parser.add_argument("--remove", action="store_true", help="lift the site-wide block")
        parser.add_argument("--list", action="store_true", help="list the site-wide blocks")

    def handle(self, *args, domain=None, reason="", remove=False, list=False, **options):
        if list:
            for block in BlockedDomain.objects.filter(show__isnull=True).order_by("domain"):
                self.stdout.write(f"{block.domain}\t{block.created_at:%Y-%m-%d}\t{block.reason}")
            return
        if not domain:
            raise CommandError("Name the domain to block (or --list).")
        try:
            if remove:
                domain_unblock(domain=domain, show=None, by=None)
                self.stdout.write(f"{domain} is no longer blocked.")
            else:
                block = domain_block(domain=domain, show=None, by=None, reason=reason)
                self.stdout.write(
                    f"{block.domain} is blocked for every show (follows from it ended, deliveries stopped)."
                )
        except BlockError as error:
            raise CommandError(str(error)) from None
