"""The demo show that `make run` seeds: real spoken MP3s, artwork, a transcript and chapters; idempotent."""

import io
from datetime import timedelta
from itertools import pairwise

import podcastparser
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from accounts.models import User
from episodes.audio import read_audio
from episodes.episode_transcripts import episode_chapters, episode_transcript
from episodes.models import Episode, EpisodePerson, Show


@pytest.mark.django_db
def test_seed_demo_builds_the_show_once(client):
    # A bare row left by an older seed is completed, not duplicated.
    Show.objects.create(slug="airway-rounds", title="Airway Rounds")
    call_command("seed_demo")
    files = sorted(Episode.objects.values_list("audio", flat=True))
    call_command("seed_demo")
    assert set(Show.objects.values_list("slug", flat=True)) == {"airway-rounds", "ultrasound-minutes"}
    assert sorted(Episode.objects.values_list("audio", flat=True)) == files  # nothing made twice

    show = Show.objects.get(slug="airway-rounds")
    assert show.podcast_guid is not None and show.description and show.owner_email
    assert show.hosts.filter(email="host@example.com").exists()
    with show.artwork.open("rb") as handle:
        art = Image.open(io.BytesIO(handle.read()))
    assert (art.format, art.mode, art.size) == ("JPEG", "RGB", (1400, 1400))

    published = list(Episode.objects.published().filter(show=show))
    scheduled = [e for e in Episode.objects.filter(show=show) if e.is_scheduled]
    assert len(published) >= 3 and len(scheduled) == 1
    assert scheduled[0].publish_at > timezone.now() + timedelta(days=6)
    publish_times = sorted(e.publish_at for e in published)
    assert all(later - earlier >= timedelta(days=1) for earlier, later in pairwise(publish_times))

    for episode in Episode.objects.filter(show=show):
        info = read_audio(episode.audio.path)  # a real MP3 with a measurable duration
        assert info.kind == "mp3" and 10 <= info.duration <= 30
        assert episode.audio_size == episode.audio.size
        assert abs(episode.audio_duration - info.duration) < 0.1

    with_extras = Episode.objects.filter(show=show).exclude(transcript="").exclude(chapters="")
    assert with_extras.count() == 1
    episode = with_extras.get()
    paragraphs = episode_transcript(episode)
    assert paragraphs[0].text.startswith("Welcome to Airway Rounds, episode two")
    assert {p.speaker for p in paragraphs} >= {"Hank Host", "Grace Guest"}
    chapters = episode_chapters(episode)
    assert chapters[0].start == 0 and len(chapters) >= 3
    assert all(c.start < episode.audio_duration for c in chapters)
    assert set(episode.persons.values_list("role", flat=True)) == {
        EpisodePerson.Role.HOST,
        EpisodePerson.Role.GUEST,
        EpisodePerson.Role.FACULTY,
    }
    topics = {t.name for e in published for t in e.topics.all()}
    assert {"POCUS", "airway", "OBanes"} <= topics

    # The pages show it, and demo_info prints where to find it.
    body = client.get(show.get_absolute_url()).content.decode()
    assert "POCUS for the airway" in body and "Extubation done well" not in body
    body = client.get(episode.get_absolute_url()).content.decode()
    assert "Marking the membrane" in body and "Grace Guest:" in body
    out = io.StringIO()
    call_command("demo_info", stdout=out)
    assert "/shows/airway-rounds/" in out.getvalue()
    assert "/shows/airway-rounds/feed.xml" in out.getvalue()

    # #POCUS gathers episodes of both shows in its feed (docs/topic-feeds.md).
    pocus = podcastparser.parse("http://testserver/topics/pocus/feed.xml", io.BytesIO(_pocus_feed(client)))
    assert [e["title"] for e in pocus["episodes"]] == [
        "Lung sliding in two minutes · Ultrasound Minutes",
        "POCUS for the airway (CME) · Airway Rounds",
    ]


def _pocus_feed(client) -> bytes:
    response = client.get("/topics/pocus/feed.xml")
    assert response.status_code == 200
    return response.content


@pytest.mark.django_db
def test_seed_demo_says_how_to_get_missing_tools(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither ffmpeg nor espeak-ng can be found
    with pytest.raises(CommandError, match="make run"):
        call_command("seed_demo")
    assert Show.objects.count() == 0 and User.objects.count() == 0
