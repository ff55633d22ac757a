"""Editing an episode with its files in a bucket (moto's S3 server, testkit/s3.py): no request to the
bucket while the edit's database transaction is open, the audio re-tagged under the same key, and an
edit the database refuses leaves the stored audio exactly as it was and no new object behind."""

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, connections
from django.urls import reverse
from mutagen.id3 import ID3

from episodes import services
from episodes.artwork import TAG_WIDTH, render
from episodes.models import Episode
from episodes.upload import UPLOAD_TEMP_PREFIX, upload_temp_dir
from testkit.media import audio_bytes, make_artwork
from testkit.s3 import s3_media_fixture, s3_server_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(host_client, show) -> Episode:
    post = {
        "title": "Spinal hypotension",
        "notes": "Phenylephrine first.",
        "episode_type": "full",
        "status": "published",
        "topics": "",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "audio": SimpleUploadedFile("episode.mp3", audio_bytes(5.0, "mp3")),
    }
    response = host_client.post(reverse("episodes:host_episode_upload", args=[show.slug]), post)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Episode.objects.filter(show=show).latest("pk")


def _id3(data: bytes) -> ID3:
    with tempfile.NamedTemporaryFile(suffix=".mp3") as copy:
        copy.write(data)
        copy.flush()
        return ID3(copy.name)


def _bucket_requests() -> list[tuple[str, bool]]:
    """Every request the default storage's S3 client sends from now on: (method, transaction open?)."""
    calls: list[tuple[str, bool]] = []
    database = connections["default"]  # this thread's connection: uploads may run in s3transfer's threads

    def note(request, **kwargs):
        calls.append((request.method, database.in_atomic_block))

    storage: Any = default_storage  # S3Storage here (django-storages has no type information)
    storage.connection.meta.client.meta.events.register("before-send.s3", note)
    return calls


def _media_files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


def _temp_files(folder: str | Path) -> set[Path]:
    return set(Path(folder).glob(UPLOAD_TEMP_PREFIX + "*"))


@contextmanager
def database_refuses_a_new_title() -> Iterator[None]:
    """A real refusal by the database of any change to an episode's title: on PostgreSQL at COMMIT
    (a deferred constraint trigger, the latest a write can fail), on SQLite at the UPDATE itself."""
    table = Episode._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse_title() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the test refuses this title'; END $$"
            )
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER test_refuse_title AFTER UPDATE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.title <> OLD.title) "
                "EXECUTE FUNCTION test_refuse_title()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER test_refuse_title BEFORE UPDATE OF title ON {table} "
                "WHEN NEW.title <> OLD.title BEGIN SELECT RAISE(ABORT, 'the test refuses this title'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER test_refuse_title ON {table}")
                cursor.execute("DROP FUNCTION test_refuse_title()")
            else:
                cursor.execute("DROP TRIGGER test_refuse_title")


def test_an_edit_retags_the_audio_under_its_key_with_no_bucket_request_in_the_transaction(
    host_client, show, s3_media
):
    episode = _upload(host_client, show)
    key = episode.audio.name
    calls = _bucket_requests()
    cover = make_artwork(1400, "PNG")
    services.episode_update(
        episode=episode,
        actor=None,
        data={"title": "Vasopressors in labour"},
        artwork=SimpleUploadedFile("cover.png", cover),
    )

    episode.refresh_from_db()
    assert episode.audio.name == key  # the same object: its URL never changes
    stored = s3_media.read(key)
    tags = _id3(stored)
    assert str(tags["TIT2"]) == "Vasopressors in labour"
    # The small JPEG cover made from the artwork (episodes/artwork.py), not the original PNG.
    assert [(a.mime, a.data) for a in tags.getall("APIC")] == [
        ("image/jpeg", render(cover).images[TAG_WIDTH])
    ]
    assert episode.audio_size == len(stored)  # the enclosure length follows the tags
    renditions = [name for width, name in episode.artwork_renditions.items() if width.isdigit()]
    assert len(renditions) == 4  # the feed cover, two page sizes and the tag cover (also a page size)
    assert s3_media.keys() == sorted([key, episode.artwork.name, *renditions])
    methods = [method for method, _ in calls]
    assert "GET" in methods and methods.count("PUT") >= 2  # the audio read, artwork and audio written
    assert [call for call in calls if call[1]] == []  # none while the transaction was open


def test_an_edit_the_database_refuses_leaves_the_stored_audio_and_no_new_object(host_client, show, s3_media):
    episode = _upload(host_client, show)
    before = {key: s3_media.read(key) for key in s3_media.keys()}
    temp_before = _temp_files(upload_temp_dir())
    with database_refuses_a_new_title(), pytest.raises(DatabaseError):
        services.episode_update(
            episode=episode,
            actor=None,
            data={"title": "Vasopressors in labour"},
            artwork=SimpleUploadedFile("cover.png", make_artwork(1400, "PNG")),
        )

    assert {key: s3_media.read(key) for key in s3_media.keys()} == before  # no new artwork, audio as it was
    assert str(_id3(before[episode.audio.name])["TIT2"]) == "Spinal hypotension"
    episode.refresh_from_db()
    assert episode.title == "Spinal hypotension" and not episode.artwork
    assert _temp_files(upload_temp_dir()) == temp_before  # the tagged copy is gone too


def test_on_a_local_disk_a_refused_edit_leaves_the_audio_file_as_it_was(host_client, show):
    episode = _upload(host_client, show)
    audio = Path(episode.audio.path)
    before, mode = audio.read_bytes(), audio.stat().st_mode
    media_files = _media_files()
    with database_refuses_a_new_title(), pytest.raises(DatabaseError):
        services.episode_update(
            episode=episode,
            actor=None,
            data={"title": "Vasopressors in labour"},
            artwork=SimpleUploadedFile("cover.jpg", make_artwork(1400, "JPEG")),
        )
    assert audio.read_bytes() == before
    assert _media_files() == media_files  # no artwork, no tagged copy left

    services.episode_update(episode=episode, actor=None, data={"title": "Vasopressors in labour"})
    episode.refresh_from_db()
    assert str(ID3(audio)["TIT2"]) == "Vasopressors in labour"
    assert episode.audio_size == audio.stat().st_size
    assert audio.stat().st_mode == mode  # readable by nginx as before (a copy starts at 0600)
    assert _media_files() == media_files  # tagged in place of the file


def test_an_edit_that_cannot_tag_the_audio_saves_nothing(host_client, show, s3_media):
    episode = _upload(host_client, show)
    s3_media.client.put_object(Bucket=s3_media.bucket, Key=episode.audio.name, Body=b"not audio any more")
    before = {key: s3_media.read(key) for key in s3_media.keys()}
    with pytest.raises(services.AudioError):
        services.episode_update(
            episode=episode,
            actor=None,
            data={"title": "Vasopressors in labour"},
            artwork=SimpleUploadedFile("cover.png", make_artwork(1400, "PNG")),
        )
    assert {key: s3_media.read(key) for key in s3_media.keys()} == before
    episode.refresh_from_db()
    assert episode.title == "Spinal hypotension" and not episode.artwork


def test_cover_bytes_come_from_the_stored_artwork(host_client, show, s3_media):
    """Removing the episode's own cover puts the show's cover back into the audio."""
    show_cover = make_artwork(1400, "JPEG")
    show.artwork.save("show.jpg", io.BytesIO(show_cover), save=True)
    episode = _upload(host_client, show)
    services.episode_update(
        episode=episode, actor=None, data={}, artwork=SimpleUploadedFile("own.png", make_artwork(1400, "PNG"))
    )
    services.episode_update(
        episode=Episode.objects.get(pk=episode.pk), actor=None, data={}, remove_artwork=True
    )
    tags = _id3(s3_media.read(episode.audio.name))
    assert [a.data for a in tags.getall("APIC")] == [render(show_cover).images[TAG_WIDTH]]


def test_a_shows_artwork_is_stored_before_the_transaction_opens(s3_media):
    calls = _bucket_requests()
    data = {
        "title": "Airway Rounds",
        "slug": "airway-rounds",
        "description": "Short cases in airway management for anaesthetists.",
        "author": "Society of Testing",
        "owner_name": "Society of Testing",
        "owner_email": "podcast@example.org",
    }
    cover = make_artwork(1400, "JPEG")
    show = services.show_create(host=None, data={**data, "artwork": SimpleUploadedFile("a.jpg", cover)})
    assert s3_media.read(show.artwork.name) == cover
    new_cover = make_artwork(1500, "JPEG")
    show = services.show_update(
        show=show,
        actor=None,
        data={"title": "Airway Rounds 2", "artwork": SimpleUploadedFile("b.jpg", new_cover)},
    )
    show.refresh_from_db()
    assert show.title == "Airway Rounds 2" and s3_media.read(show.artwork.name) == new_cover
    assert [method for method, _ in calls].count("PUT") == 2 * 5  # each cover and its four renditions
    assert [call for call in calls if call[1]] == []  # none while a transaction was open


def test_a_show_edit_the_database_refuses_leaves_no_new_artwork(s3_media, show):
    keys = s3_media.keys()
    with pytest.raises(ValidationError):  # a title too long: refused, nothing written
        services.show_update(
            show=show,
            actor=None,
            data={"title": "x" * 1000, "artwork": SimpleUploadedFile("b.jpg", make_artwork(1400, "JPEG"))},
        )
    assert s3_media.keys() == keys
    show.refresh_from_db()
    assert show.title == "Airway Rounds" and not show.artwork
