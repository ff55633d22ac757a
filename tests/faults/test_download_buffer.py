"""Fault: SIGTERM (as systemd and deploys send it) while audio requests wait in a worker's buffer."""

import http.client
import signal
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from episodes.models import Download, DownloadRequest, Episode, Show
from episodes.services import episode_create
from testkit.media import make_audio
from testkit.servers import gunicorn, runserver

APPS = [
    "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "PocketCasts/1.0 (Pocket Casts; +https://pocketcasts.com/)",
]
# A minute between bulk writes: nothing reaches the database unless the process flushes as it stops.
BUFFERED = "PODCASTCME_COUNT_BUFFER_SECONDS = 60\n"


def _published_episode() -> Episode:
    show = Show.objects.create(
        title="Airway Rounds", slug="airway-rounds", description="Airway cases.", author="Society",
        owner_name="Society", owner_email="podcast@example.org",
    )  # fmt: skip
    return episode_create(
        show=show,
        actor=None,
        title="Rapid sequence induction",
        audio=SimpleUploadedFile("rsi.mp3", make_audio(20.0, "mp3", bitrate="32k").read_bytes()),
        status=Episode.Status.PUBLISHED,
        publish_at=timezone.now() - timedelta(days=1),
        tag_audio=False,
    )


def _listen(port: int, episode: Episode) -> None:
    for app in APPS:  # three apps on one address: three downloads
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/audio/{episode.pk}/{episode.slug}.mp3", headers={"User-Agent": app})
        response = conn.getresponse()
        assert response.status == 200 and len(response.read()) == episode.audio_size
        conn.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("serve", [gunicorn, runserver], ids=["gunicorn", "runserver"])
def test_buffered_downloads_are_recorded_when_the_server_is_stopped_with_sigterm(database, tmp_path, serve):
    # gunicorn turns SIGTERM into a graceful exit; Django's own server leaves it to Python, whose
    # default is to die at once, without running exit handlers.
    episode = _published_episode()
    with serve(database, tmp_path, extra_settings=BUFFERED) as server:
        _listen(server.port, episode)
        assert DownloadRequest.objects.count() == 0  # still in the worker's buffer
        server.stop(signal.SIGTERM)
    assert DownloadRequest.objects.filter(episode=episode).count() == len(APPS), server.log_text()
    assert Download.objects.filter(episode=episode).count() == len(APPS)
