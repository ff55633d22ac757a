"""Make the JPEG renditions of show and episode artwork stored before renditions existed."""

from django.core.management.base import BaseCommand

from episodes.models import Episode, Show
from episodes.services import artwork_renditions_make


class Command(BaseCommand):
    help = (
        "Make the feed cover (square RGB JPEG, 1400-3000 px), the page sizes and the small audio-tag "
        "cover of every show and episode whose artwork has none yet (stored before they existed). "
        "New artwork gets them when it is uploaded; until then pages and feeds use the original. "
        "Safe to run again: artwork that has them is skipped (--again remakes them)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--again", action="store_true", help="Remake renditions that exist (a new way of making them)."
        )

    def handle(self, *args, again=False, **options):
        made = failed = 0
        owners = [
            *Show.objects.exclude(artwork=""),
            *Episode.objects.select_related("show").exclude(artwork=""),
        ]
        for owner in owners:
            try:
                made += artwork_renditions_make(owner=owner, again=again)
            except Exception as error:  # one unreadable file must not stop the others
                failed += 1
                kind = "show" if isinstance(owner, Show) else "episode"
                self.stderr.write(f"{kind} {owner.pk} ({owner.artwork.name}): {error}")
        self.stdout.write(f"Renditions made for {made} of {len(owners)} artworks; {failed} failed.")
