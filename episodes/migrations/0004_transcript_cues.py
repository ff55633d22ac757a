# Transcripts parsed once on upload (issue 10, hole 8): the episode page reads TranscriptText and
# never the file. The data step reads every transcript stored before this migration, once.
import logging

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

logger = logging.getLogger(__name__)

# Files stored before the limits existed were accepted up to 10 MB; read no more than this.
BACKFILL_MAX_BYTES = 16 * 1024 * 1024


def parse_stored_transcripts(apps, schema_editor):
    """TranscriptText for each episode with a transcript file; a file over the limits keeps its
    first cues (marked incomplete: the page links to the file), a missing file gives no row."""
    # The parser is the application's own: the page must show what an upload would have stored. A
    # copy here would drift from it. Moving that module means updating this import: the test of this
    # function (tests/episodes/test_episode_transcripts.py) fails until it is.
    from episodes.episode_transcripts import read_transcript

    alias = schema_editor.connection.alias
    Episode = apps.get_model("episodes", "Episode")
    TranscriptText = apps.get_model("episodes", "TranscriptText")
    episodes = Episode.objects.using(alias).exclude(transcript="").only("pk", "transcript")
    for episode in episodes.iterator(chunk_size=100):
        try:
            with episode.transcript.open("rb") as handle:
                data = handle.read(BACKFILL_MAX_BYTES + 1)
        except (OSError, ValueError) as error:
            logger.warning("Transcript of episode %s not read: %s", episode.pk, error)
            continue
        text = read_transcript(data[:BACKFILL_MAX_BYTES], cut=True)
        TranscriptText.objects.using(alias).update_or_create(
            episode_id=episode.pk,
            defaults={
                "paragraphs": text.stored_paragraphs(),
                "cue_count": text.cue_count,
                "complete": text.complete and len(data) <= BACKFILL_MAX_BYTES,
                "parsed_at": django.utils.timezone.now(),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("episodes", "0003_personal_feeds")]

    operations = [
        migrations.CreateModel(
            name="TranscriptText",
            fields=[
                (
                    "episode",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="transcript_text",
                        serialize=False,
                        to="episodes.episode",
                    ),
                ),
                ("paragraphs", models.JSONField(blank=True, default=list)),
                ("cue_count", models.PositiveIntegerField(default=0)),
                ("complete", models.BooleanField(default=True)),
                ("parsed_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "transcript text"},
        ),
        migrations.RunPython(parse_stored_transcripts, migrations.RunPython.noop, elidable=True),
    ]
