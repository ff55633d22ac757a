"""Rebuild nginx's tree of public audio links (PODCASTCME_EDGE_AUDIO_ROOT), e.g. after restoring media."""

from django.core.management.base import BaseCommand, CommandError

from episodes.edge import edge_root, sync_all


class Command(BaseCommand):
    help = (
        "Make the link of every public episode in PODCASTCME_EDGE_AUDIO_ROOT and remove those of episodes "
        "that are not public. The app keeps the tree up to date as episodes change; this is for a new "
        "or restored tree."
    )

    def handle(self, *args, **options):
        if edge_root() is None:
            raise CommandError("PODCASTCME_EDGE_AUDIO_ROOT is not set: there is no link tree to build.")
        linked, unlinked = sync_all()
        self.stdout.write(
            f"{linked} public episodes linked, {unlinked} without a link (not public or no file)."
        )
