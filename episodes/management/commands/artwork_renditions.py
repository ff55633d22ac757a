"""Make the JPEG renditions of show and episode artwork stored before renditions existed."""

from django.core.management.base import BaseCommand

from episodes.models import Episode, Show
from episodes.services import artwork_renditions_make, episode_cover_shrink


class Command(BaseCommand):
    help = (
        "Make the feed cover (square RGB JPEG, 1400-3000 px), the page sizes and the small audio-tag "
        "cover of every show and episode whose artwork has none yet (stored before they existed). "
        "New artwork gets them when it is uploaded; until then pages and feeds use the original. "
        "Safe to run again: artwork that has them is skipped (--again remakes them). With --retag, "
        "audio files that carry a cover over 200 KB are tagged again with the small one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--again", action="store_true", help="Remake renditions that exist (a new way of making them)."
        )
        parser.add_argument(
            "--retag",
            action="store_true",
            help="Also re-tag audio whose embedded cover is over 200 KB (each file is read; from a "
            "bucket, downloaded).",
        )

    def handle(self, *args, again=False, retag=False, **options):
        made = failed = 0
        owners: list[Show | Episode] = [
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
        if not retag:
            return
        retagged = failed = 0
        episodes = Episode.objects.select_related("show").order_by("pk")
        for episode in episodes:
            try:
                retagged += episode_cover_shrink(episode=episode)
            except Exception as error:
                failed += 1
                self.stderr.write(f"episode {episode.pk} ({episode.audio.name}): {error}")
        self.stdout.write(f"Audio re-tagged with the small cover: {retagged} episodes; {failed} failed.")
