"""Host pages through the test client: create and edit a show, upload, edit and schedule episodes."""

import html
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from PIL import Image

from audit.models import AuditEvent
from episodes.artwork import TAG_WIDTH, render
from episodes.models import Episode, Show, ShowHost, podcast_guid_for
from episodes.upload import STOPPED_ATTR, MaxBytesUploadHandler
from testkit.media import audio_bytes, make_artwork, make_audio
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db


def _tag_cover(artwork: bytes) -> bytes:
    """The cover the audio tags carry for this artwork: its small JPEG rendition (episodes/artwork.py)."""
    return render(artwork).images[TAG_WIDTH]


def _media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _show_post(**overrides) -> dict:
    data = {
        "title": "Obstetric Anaesthesia Weekly",
        "slug": "ob-anaes-weekly",
        "description": "Cases from the labour ward.",
        "author": "Dr Ada Example",
        "owner_name": "Dr Ada Example",
        "owner_email": "ada@example.org",
        "language": "en",
        "category": "Health & Fitness",
        "subcategory": "Medicine",
        "show_type": "episodic",
        "locked": "on",
    }
    data.update(overrides)
    return data


def _episode_post(audio: SimpleUploadedFile | None = None, **overrides) -> dict:
    data: dict[str, object] = {
        "title": "Spinal hypotension",
        "notes": "Phenylephrine **first**.",
        "episode_type": "full",
        "status": "published",
        "topics": "#OBanes #airway",
        "persons-TOTAL_FORMS": "3",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "persons-0-name": "Dr Grace Hopper",
        "persons-0-role": "faculty",
        "persons-0-credentials": "MD",
        "persons-1-role": "guest",
        "persons-2-role": "guest",
    }
    if audio is not None:
        data["audio"] = audio
    data.update(overrides)
    return data


def _mp3(seconds: float = 5.0, name: str = "episode.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, audio_bytes(seconds, "mp3"), content_type="audio/mpeg")


def _upload_url(show: Show) -> str:
    return reverse("episodes:host_episode_upload", args=[show.slug])


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _raw(response) -> str:
    return response.content.decode()


# --- Shows -----------------------------------------------------------------------------------------


def test_a_verified_user_creates_a_show_and_becomes_its_host(client, make_user):
    user = make_user("newhost@example.org")
    client.force_login(user)
    response = client.post(reverse("episodes:host_show_create"), _show_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("episodes:host_show", args=["ob-anaes-weekly"])
    show = Show.objects.get(slug="ob-anaes-weekly")
    assert ShowHost.objects.filter(show=show, user=user).exists()
    assert show.podcast_guid == podcast_guid_for(show.feed_url)
    assert AuditEvent.objects.filter(action="show.created").count() == 1
    # Now a host: the MFA gate sends them to set up an authenticator before the host pages.
    assert client.get(response["Location"])["Location"] == reverse("mfa_activate_totp")


def test_a_host_creates_a_show_with_artwork_and_sees_its_feed_url(host_client, host):
    form_page = host_client.get(reverse("episodes:host_show_create"))
    assert form_page.status_code == 200 and 'enctype="multipart/form-data"' in _raw(form_page)
    artwork = SimpleUploadedFile("cover.png", make_artwork(1400, "JPEG"))  # a JPEG misnamed .png
    response = host_client.post(reverse("episodes:host_show_create"), _show_post(artwork=artwork))
    assert response.status_code == 302
    show = Show.objects.get(slug="ob-anaes-weekly")
    assert show.artwork.name.endswith(".jpg")  # named after its real format
    page = host_client.get(reverse("episodes:host_show", args=[show.slug]))
    assert page.status_code == 200
    assert f'value="{show.feed_url}"' in _raw(page)
    assert "podcastsconnect.apple.com" in _text(page) and "podcasters.spotify.com" in _text(page)
    dashboard = host_client.get(reverse("episodes:host_dashboard"))
    assert "Obstetric Anaesthesia Weekly" in _text(dashboard) and "Airway Rounds" in _text(dashboard)


def test_editing_a_show_keeps_its_slug_and_podcast_guid(host_client, show):
    show.podcast_guid = podcast_guid_for(show.feed_url)
    show.save()
    guid = show.podcast_guid
    url = reverse("episodes:host_show_edit", args=[show.slug])
    assert host_client.get(url).status_code == 200
    response = host_client.post(url, _show_post(title="Airway Rounds (2nd ed.)", slug="hijacked"))
    assert response.status_code == 302
    show.refresh_from_db()
    assert show.title == "Airway Rounds (2nd ed.)"
    assert show.slug == "airway-rounds" and show.podcast_guid == guid
    assert not Show.objects.filter(slug="hijacked").exists()


def test_a_duplicate_show_slug_is_refused(host_client, show):
    response = host_client.post(reverse("episodes:host_show_create"), _show_post(slug=show.slug))
    assert response.status_code == 400
    assert "A show with this slug already exists." in _text(response)
    assert Show.objects.count() == 1


def test_a_subcategory_of_another_category_is_refused(host_client):
    response = host_client.post(
        reverse("episodes:host_show_create"), _show_post(category="Science", subcategory="Medicine")
    )
    assert response.status_code == 400
    assert "is not a subcategory of “Science”" in _text(response)
    assert not Show.objects.filter(slug="ob-anaes-weekly").exists()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (lambda: make_artwork(1000), "between 1400 and 3000 pixels"),
        (lambda: make_artwork(1600, height=1400), "must be square"),
        (lambda: make_artwork(1400, "JPEG", "CMYK"), "this image is in CMYK mode"),
        (lambda: make_artwork(1400, "PNG", "RGBA"), "this image is in RGBA mode"),
        (lambda: b"GIF89a not really", "not an image we can read"),
    ],
)
def test_bad_show_artwork_is_refused_with_a_clear_message(host_client, image, message):
    before = _media_files()
    artwork = SimpleUploadedFile("cover.jpg", image())
    response = host_client.post(reverse("episodes:host_show_create"), _show_post(artwork=artwork))
    assert response.status_code == 400
    assert message in _text(response)
    assert not Show.objects.filter(slug="ob-anaes-weekly").exists()
    assert _media_files() == before


# --- Episodes --------------------------------------------------------------------------------------


def test_uploading_an_mp3_measures_it_and_writes_its_tags(host_client, show):
    show.artwork.save("cover.jpg", io.BytesIO(make_artwork(1400)), save=True)
    response = host_client.post(_upload_url(show), _episode_post(_mp3(5.0)))
    assert response.status_code == 302
    assert response["Location"] == reverse("episodes:host_show", args=[show.slug])
    episode = Episode.objects.get(show=show)
    assert episode.audio_mime == "audio/mpeg"
    assert 4.9 < episode.audio_duration < 5.2
    assert 60_000 <= episode.audio_bitrate <= 68_000
    assert episode.audio_size == Path(episode.audio.path).stat().st_size
    assert episode.is_public and episode.guid
    assert sorted((t.name for t in episode.topics.all()), key=str.lower) == ["airway", "OBanes"]
    assert [(p.name, p.role, p.credentials) for p in episode.persons.all()] == [
        ("Dr Grace Hopper", "faculty", "MD")
    ]
    tags = ID3(episode.audio.path)
    assert str(tags["TIT2"]) == "Spinal hypotension"
    assert str(tags["TALB"]) == "Airway Rounds"
    cover = tags.getall("APIC")[0]
    # The small JPEG made from the show's artwork (about 600 px, under 200 KB), never the original.
    assert cover.type == 3 and cover.data == _tag_cover(show.artwork.open("rb").read())
    page = host_client.get(response["Location"])
    assert "Spinal hypotension" in _text(page) and "Published" in _text(page)


def test_uploading_an_m4a_measures_it_and_writes_mp4_tags(host_client, show):
    m4a = SimpleUploadedFile("talk.m4a", audio_bytes(4.0, "m4a"), content_type="audio/mp4")
    response = host_client.post(_upload_url(show), _episode_post(m4a, title="Difficult airway"))
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)
    assert episode.audio_mime == "audio/mp4" and episode.audio.name.endswith(".m4a")
    assert 3.9 < episode.audio_duration < 4.2 and episode.audio_bitrate > 0
    tags = MP4(episode.audio.path).tags
    assert tags["\xa9nam"] == ["Difficult airway"] and tags["\xa9alb"] == ["Airway Rounds"]


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_large_uploads_are_streamed_through_a_temporary_file(host_client, show):
    response = host_client.post(_upload_url(show), _episode_post(_mp3(20.0)))
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)
    assert 19.9 < episode.audio_duration < 20.2


def test_an_episode_with_transcript_chapters_and_artwork(host_client, show):
    vtt = SimpleUploadedFile("t.VTT", b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n")
    chapters = SimpleUploadedFile(
        "c.json", json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}).encode()
    )
    artwork = SimpleUploadedFile("ep.png", make_artwork(1400, "PNG"))
    post = _episode_post(_mp3(), transcript=vtt, chapters=chapters, artwork=artwork)
    assert host_client.post(_upload_url(show), post).status_code == 302
    episode = Episode.objects.get(show=show)
    assert episode.transcript_type == "text/vtt" and episode.transcript.name.endswith(".vtt")
    assert json.loads(episode.chapters.read())["chapters"][0]["title"] == "Intro"
    assert episode.artwork.name.endswith(".png")
    cover = ID3(episode.audio.path).getall("APIC")[0]
    assert cover.mime == "image/jpeg" and cover.data == _tag_cover(episode.artwork.open("rb").read())


def test_scheduling_an_episode_in_the_hosts_time_zone(host_client, host, show):
    host.time_zone = "America/New_York"
    host.save()
    post = _episode_post(_mp3(), publish_at="2030-01-15T09:30")
    response = host_client.post(_upload_url(show), post)
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)
    assert episode.publish_at == datetime(2030, 1, 15, 14, 30, tzinfo=UTC)  # 09:30 EST
    assert episode.is_scheduled and not episode.is_public
    assert not Episode.objects.filter(show=show).published().exists()
    page = _text(host_client.get(response["Location"], follow=False))
    assert "Scheduled" in page and "is scheduled for 2030-01-15 09:30 EST" in page


def test_editing_an_episode_then_publishing_now_and_back_to_draft(
    host_client, show, django_capture_on_commit_callbacks
):
    host_client.post(_upload_url(show), _episode_post(_mp3(), status="draft"))
    episode = Episode.objects.get(show=show)
    guid, audio_name = episode.guid, episode.audio.name
    url = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    page = host_client.get(url)
    assert page.status_code == 200 and "#OBanes" in _text(page)
    future = (timezone.localtime() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    post = {"title": "Spinal hypotension, revised", "notes": "New", "episode_type": "bonus",
            "status": "published", "publish_at": future, "topics": "#POCUS",
            "season": "2", "number": "7"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):  # the re-tagged audio is put in place then
        assert host_client.post(url, post).status_code == 302
    episode.refresh_from_db()
    assert episode.title == "Spinal hypotension, revised" and episode.is_scheduled
    assert (episode.season, episode.number, episode.episode_type) == (2, 7, "bonus")
    assert [t.name for t in episode.topics.all()] == ["POCUS"]
    assert episode.guid == guid and episode.audio.name == audio_name
    assert str(ID3(episode.audio.path)["TIT2"]) == "Spinal hypotension, revised"

    assert host_client.post(url, {"action": "publish"}).status_code == 302
    episode.refresh_from_db()
    assert episode.is_public
    assert host_client.post(url, {"action": "draft", "confirm": "1"}).status_code == 302
    episode.refresh_from_db()
    assert episode.status == "draft" and not episode.is_public


def test_an_invalid_episode_edit_changes_nothing(host_client, show):
    host_client.post(_upload_url(show), _episode_post(_mp3()))
    episode = Episode.objects.get(show=show)
    url = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    response = host_client.post(
        url, {"title": "  ", "episode_type": "full", "status": "published", "season": "-1"}
    )
    assert response.status_code == 400
    assert "This field is required." in _text(response) or "An episode needs a title." in _text(response)
    assert "Ensure this value is greater than or equal to 1." in _text(response)
    episode.refresh_from_db()
    assert episode.title == "Spinal hypotension"


def _truncated_mp3() -> bytes:
    # The first half of an ffmpeg MP3: its header still announces the full length.
    data = audio_bytes(10.0, "mp3")
    return data[: len(data) // 2]


def _wav() -> bytes:
    out = make_audio(1.0, "mp3").with_suffix(".wav")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", str(out)],
        check=True,
    )
    return out.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "episode.mp3",
            lambda: make_artwork(1400),
            "This file is not MP3 audio, although its name may say so.",
        ),
        ("episode.mp3", lambda: b"", "The file is empty."),
        ("episode.mp3", _truncated_mp3, "The MP3 file seems truncated"),
        ("episode.wav", _wav, "upload an MP3 or an M4A (AAC) file"),
    ],
    ids=["not-audio-named-mp3", "empty", "truncated-mp3", "wav"],
)
def test_bad_audio_is_refused_with_a_clear_message_and_nothing_written(
    host_client, show, name, content, message
):
    before = _media_files()
    response = host_client.post(_upload_url(show), _episode_post(SimpleUploadedFile(name, content())))
    assert response.status_code == 400
    assert message in _text(response)
    assert not Episode.objects.exists()
    assert _media_files() == before


def test_an_upload_over_the_limit_is_answered_413_and_nothing_written(host_client, show):
    before = _media_files()
    with override_settings(PODCASTCME_MAX_UPLOAD_BYTES=10_000):
        response = host_client.post(_upload_url(show), _episode_post(_mp3(5.0)))
    assert response.status_code == 413
    assert "larger than the limit of 9.8" in _text(response)
    assert not Episode.objects.exists()
    assert _media_files() == before


def test_a_body_longer_than_its_content_length_is_stopped_by_the_byte_counter():
    # A server that hands Django the whole body whatever Content-Length says (as ASGI does):
    # the handler counts the file's bytes and stops the upload once they pass the limit.
    body = encode_multipart(BOUNDARY, {"title": "x", "audio": SimpleUploadedFile("a.mp3", b"\xff" * 50_000)})
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": "5000"}

    class Request:
        pass

    request = Request()
    handlers = [MaxBytesUploadHandler(request, limit=10_000), TemporaryFileUploadHandler()]
    post, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()
    assert getattr(request, STOPPED_ATTR) is True
    assert "audio" not in files and post["title"] == "x"


@pytest.mark.parametrize(
    ("field", "name", "content", "message"),
    [
        ("transcript", "t.vtt", b"Hello\n00:00.000 --> 00:01.000\nHi", "A WebVTT file must start with"),
        ("transcript", "t.srt", b"WEBVTT\n\nnot srt", "This does not look like an SRT file"),
        ("transcript", "t.vtt", "WEBVTT\n\nCaf\xe9".encode("latin-1"), "must be UTF-8 text"),
        ("transcript", "t.txt", b"WEBVTT\n", "A transcript must be a .vtt or .srt file."),
        ("chapters", "c.json", b"{not json", "The chapters file is not valid JSON"),
        ("chapters", "c.json", b'{"version": "1.2.0", "chapters": []}', 'needs a non-empty "chapters" list'),
        ("chapters", "c.json", b'{"version": "1.2.0", "chapters": [{"title": "x"}]}',
         'Chapter 1 needs a "startTime"'),
    ],
)  # fmt: skip
def test_bad_transcript_or_chapters_are_refused(host_client, show, field, name, content, message):
    before = _media_files()
    post = _episode_post(_mp3(), **{field: SimpleUploadedFile(name, content)})
    response = host_client.post(_upload_url(show), post)
    assert response.status_code == 400
    assert message in _text(response)
    assert not Episode.objects.exists()
    assert _media_files() == before


def test_bad_episode_artwork_and_topics_are_refused(host_client, show):
    post = _episode_post(_mp3(), artwork=SimpleUploadedFile("a.jpg", make_artwork(1400, "JPEG", "L")))
    response = host_client.post(_upload_url(show), post)
    assert response.status_code == 400 and "this image is in L mode" in _text(response)
    response = host_client.post(_upload_url(show), _episode_post(_mp3(), topics="#ok #no/slash"))
    assert response.status_code == 400 and "“no/slash” is not a topic" in _text(response)
    assert not Episode.objects.exists()


def test_script_tags_and_control_characters_are_cleaned_and_escaped(host_client, show):
    title = "<script>alert(1)</script>Intubation\x07\x1b drill"
    notes = "Hello <script>alert(2)</script> <img src=x onerror=alert(3)>\x0b world"
    response = host_client.post(_upload_url(show), _episode_post(_mp3(), title=title, notes=notes))
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)
    assert episode.title == "<script>alert(1)</script>Intubation drill"
    assert "\x0b" not in episode.notes
    assert "<script" not in episode.notes_html and "onerror" not in episode.notes_html
    page = _raw(host_client.get(response["Location"]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Intubation drill" in page
    assert "<script>alert(1)" not in page

    show_response = host_client.post(
        reverse("episodes:host_show_edit", args=[show.slug]), _show_post(title="<b>Bold</b>\x00\x08 Rounds")
    )
    assert show_response.status_code == 400  # a NUL byte is refused outright
    show_response = host_client.post(
        reverse("episodes:host_show_edit", args=[show.slug]), _show_post(title="<b>Bold</b>\x08 Rounds")
    )
    assert show_response.status_code == 302
    show.refresh_from_db()
    assert show.title == "<b>Bold</b> Rounds"
    assert "&lt;b&gt;Bold&lt;/b&gt; Rounds" in _raw(host_client.get(reverse("episodes:host_dashboard")))


# --- Who may do what -------------------------------------------------------------------------------


def _host_urls(show: Show, episode_pk: int = 1) -> list[str]:
    return [
        reverse("episodes:host_show", args=[show.slug]),
        reverse("episodes:host_show_edit", args=[show.slug]),
        reverse("episodes:host_episode_upload", args=[show.slug]),
        reverse("episodes:host_episode_edit", args=[show.slug, episode_pk]),
    ]


def test_a_host_of_another_show_gets_404_and_changes_nothing(client, make_user, show, host_client):
    host_client.post(_upload_url(show), _episode_post(_mp3()))
    episode = Episode.objects.get(show=show)
    other = make_user("other-host@example.org")
    other_show = Show.objects.create(title="Other", slug="other", description="d", author="a",
                                     owner_name="o", owner_email="o@example.org")  # fmt: skip
    ShowHost.objects.create(show=other_show, user=other)
    mfa_login(client, other)
    for url in _host_urls(show, episode.pk):
        assert client.get(url).status_code == 404, url
    assert client.post(_upload_url(show), _episode_post(_mp3())).status_code == 404
    edit = reverse("episodes:host_show_edit", args=[show.slug])
    assert client.post(edit, _show_post(title="Taken over")).status_code == 404
    episode_edit = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    assert client.post(episode_edit, {"action": "draft"}).status_code == 404
    show.refresh_from_db()
    episode.refresh_from_db()
    assert show.title == "Airway Rounds" and Episode.objects.count() == 1 and episode.is_public


def test_a_learner_gets_403_and_anonymous_is_sent_to_log_in(client, learner, show):
    client.force_login(learner)
    for url in [reverse("episodes:host_dashboard"), *_host_urls(show)]:
        assert client.get(url).status_code == 403, url
    client.logout()
    for url in [reverse("episodes:host_dashboard"), reverse("episodes:host_show_create"), *_host_urls(show)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), url


def test_an_unverified_user_may_not_create_a_show(client, make_user):
    client.force_login(make_user("unverified@example.org", verified=False))
    assert client.get(reverse("episodes:host_show_create")).status_code == 403
    assert client.post(reverse("episodes:host_show_create"), _show_post()).status_code == 403
    assert not Show.objects.exists()


def test_csrf_is_still_checked_on_uploads(host, show):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    mfa_login(client, host)
    response = client.post(_upload_url(show), _episode_post(_mp3()))
    assert response.status_code == 403
    assert not Episode.objects.exists()


def test_the_upload_script_is_told_where_to_go_instead_of_following_a_redirect(host_client, show):
    page = host_client.get(_upload_url(show))
    assert page.status_code == 200
    assert "data-upload-form" in _raw(page) and "<progress" in _raw(page) and "js/upload.js" in _raw(page)
    response = host_client.post(_upload_url(show), _episode_post(_mp3()), headers={"X-Upload-Progress": "1"})
    assert response.status_code == 200
    assert response.json() == {"redirect": reverse("episodes:host_show", args=[show.slug])}
    # The flash message is still waiting for the page the script goes to.
    assert "“Spinal hypotension” is published." in _text(host_client.get(response.json()["redirect"]))


# --- Editing an episode's files and people ---------------------------------------------------------

PODCAST = "{https://podcastindex.org/namespace/1.0}"
_OLD_VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nWelcome to the old recording.\n"
_CHAPTERS = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}


def _episode_with_extras(host_client, show) -> Episode:
    """A published episode uploaded with its own PNG artwork, a WebVTT transcript and chapters."""
    post = _episode_post(
        _mp3(),
        artwork=SimpleUploadedFile("ep.png", make_artwork(1400, "PNG")),
        transcript=SimpleUploadedFile("t.vtt", _OLD_VTT),
        chapters=SimpleUploadedFile("c.json", json.dumps(_CHAPTERS).encode()),
    )
    assert host_client.post(_upload_url(show), post).status_code == 302
    return Episode.objects.get(show=show)


def _edit_url(episode: Episode) -> str:
    return reverse("episodes:host_episode_edit", args=[episode.show.slug, episode.pk])


def _edit_post(episode: Episode, persons: list[tuple[str, str, str]] | None = None, **overrides) -> dict:
    """What the edit page sends back unchanged: its fields, and the people rows it was filled with."""
    people = [(p.name, p.role, p.credentials) for p in episode.persons.all()] if persons is None else persons
    data = {
        "title": episode.title,
        "notes": episode.notes,
        "episode_type": episode.episode_type,
        "status": episode.status,
        "topics": " ".join(f"#{t.name}" for t in episode.topics.all()),
        "persons-TOTAL_FORMS": str(len(people) + 1),
        "persons-INITIAL_FORMS": str(episode.persons.count()),
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        f"persons-{len(people)}-role": "guest",  # the empty extra row
    }
    for index, (name, role, credentials) in enumerate(people):
        data.update({f"persons-{index}-name": name, f"persons-{index}-role": role,
                     f"persons-{index}-credentials": credentials})  # fmt: skip
    data.update(overrides)
    return data


def _exists(field) -> bool:
    return bool(field.name) and Path(settings.MEDIA_ROOT, field.name).is_file()


def _feed(client, show):
    from lxml import etree

    response = client.get(reverse("episodes:feed", args=[show.slug]))
    assert response.status_code == 200
    return etree.fromstring(response.content)


def _feed_item(client, episode):
    items = [i for i in _feed(client, episode.show).iter("item") if i.findtext("guid") == episode.guid]
    assert len(items) == 1
    return items[0]


def test_the_edit_page_offers_the_files_and_is_filled_with_the_people(host_client, show):
    episode = _episode_with_extras(host_client, show)
    page = host_client.get(_edit_url(episode))
    assert page.status_code == 200
    raw = _raw(page)
    assert 'enctype="multipart/form-data"' in raw and "data-upload-form" in raw
    for field in (
        "artwork",
        "transcript",
        "chapters",
        "remove_artwork",
        "remove_transcript",
        "remove_chapters",
    ):
        assert f'<label for="id_{field}">' in raw, field
    assert 'value="Dr Grace Hopper"' in raw and 'value="MD"' in raw
    assert '<label for="id_persons-0-DELETE">Remove this person</label>' in raw
    assert episode.get_transcript_url() in raw and episode.get_chapters_url() in raw


def test_replacing_the_artwork_retags_the_audio_cover_and_deletes_the_old_file(
    host_client, show, django_capture_on_commit_callbacks
):
    episode = _episode_with_extras(host_client, show)
    old_artwork = episode.artwork.name
    old_cover = ID3(episode.audio.path).getall("APIC")[0].data
    buffer = io.BytesIO()
    Image.new("RGB", (1500, 1500), "#c0392b").save(buffer, format="JPEG")  # another colour: another cover
    new_bytes = buffer.getvalue()
    post = _edit_post(episode, artwork=SimpleUploadedFile("new.png", new_bytes))  # a JPEG misnamed .png
    with django_capture_on_commit_callbacks() as callbacks:
        response = host_client.post(_edit_url(episode), post)
    assert response.status_code == 302
    assert Path(settings.MEDIA_ROOT, old_artwork).exists()  # until the edit is committed
    for callback in callbacks:
        callback()
    episode.refresh_from_db()
    assert episode.artwork.name.endswith(".jpg") and episode.artwork.read() == new_bytes
    cover = ID3(episode.audio.path).getall("APIC")
    assert len(cover) == 1 and cover[0].mime == "image/jpeg" and cover[0].data == _tag_cover(new_bytes)
    assert cover[0].data != old_cover
    assert episode.audio_size == Path(episode.audio.path).stat().st_size  # the enclosure length follows
    assert not Path(settings.MEDIA_ROOT, old_artwork).exists()
    assert _exists(episode.transcript) and _exists(episode.chapters)  # untouched
    event = AuditEvent.objects.filter(action="episode.updated").latest("pk")
    assert "artwork" in event.data["fields"] and event.data["files"] == {"artwork": "replaced"}
    item = _feed_item(host_client, episode)
    cover_url = item.find("{http://www.itunes.com/dtds/podcast-1.0.dtd}image").get("href")
    assert cover_url.endswith(episode.get_feed_artwork_url()) and cover_url.endswith("-1500.jpg")


def test_removing_the_artwork_takes_the_cover_out_of_the_audio(
    host_client, show, django_capture_on_commit_callbacks
):
    episode = _episode_with_extras(host_client, show)
    old_artwork = episode.artwork.name
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(_edit_url(episode), _edit_post(episode, remove_artwork="on"))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert not episode.artwork
    assert ID3(episode.audio.path).getall("APIC") == []  # the show has no artwork to fall back on
    assert episode.audio_size == Path(episode.audio.path).stat().st_size
    assert not Path(settings.MEDIA_ROOT, old_artwork).exists()
    assert "artwork" in AuditEvent.objects.filter(action="episode.updated").latest("pk").data["fields"]


def test_removing_the_artwork_falls_back_to_the_shows_cover(
    host_client, show, django_capture_on_commit_callbacks
):
    show_cover = make_artwork(1400, "JPEG")
    show.artwork.save("cover.jpg", io.BytesIO(show_cover), save=True)
    episode = _episode_with_extras(host_client, show)
    assert ID3(episode.audio.path).getall("APIC")[0].data == _tag_cover(episode.artwork.open("rb").read())
    with django_capture_on_commit_callbacks(execute=True):  # the re-tagged audio is put in place then
        response = host_client.post(_edit_url(episode), _edit_post(episode, remove_artwork="on"))
    assert response.status_code == 302
    cover = ID3(Episode.objects.get(pk=episode.pk).audio.path).getall("APIC")
    assert len(cover) == 1 and cover[0].data == _tag_cover(show_cover)


def test_replacing_the_transcript_shows_the_new_text_on_the_episode_page(
    host_client, show, django_capture_on_commit_callbacks
):
    episode = _episode_with_extras(host_client, show)
    old_transcript = episode.transcript.name
    before = _text(host_client.get(episode.get_absolute_url()))
    assert "Welcome to the old recording." in before
    srt = SimpleUploadedFile("new.srt", b"1\n00:00:00,000 --> 00:00:03,000\nPhenylephrine comes first.\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(_edit_url(episode), _edit_post(episode, transcript=srt))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.transcript_type == "application/x-subrip" and episode.transcript.name.endswith(".srt")
    assert not Path(settings.MEDIA_ROOT, old_transcript).exists()
    after = _text(host_client.get(episode.get_absolute_url()))
    assert "Phenylephrine comes first." in after and "Welcome to the old recording." not in after
    transcript = _feed_item(host_client, episode).find(f"{PODCAST}transcript")
    assert transcript.get("type") == "application/x-subrip" and transcript.get("url").endswith(".srt")


@pytest.mark.parametrize(
    ("field", "name", "content", "message"),
    [
        ("transcript", "t.vtt", lambda: b"Hello\n00:00.000 --> 00:01.000\nHi",
         "A WebVTT file must start with"),
        ("transcript", "t.txt", lambda: b"WEBVTT\n", "A transcript must be a .vtt or .srt file."),
        ("chapters", "c.json", lambda: b"{not json", "The chapters file is not valid JSON"),
        ("chapters", "c.json", lambda: b'{"version": "1.2.0", "chapters": [{"title": "x"}]}',
         'Chapter 1 needs a "startTime"'),
        ("artwork", "a.jpg", lambda: make_artwork(1400, "JPEG", "L"), "this image is in L mode"),
        ("artwork", "a.jpg", lambda: make_artwork(1000), "between 1400 and 3000 pixels"),
    ],
    ids=["vtt-header", "txt", "chapters-json", "chapters-start", "artwork-mode", "artwork-size"],
)  # fmt: skip
def test_a_bad_file_on_edit_is_refused_and_the_old_one_stays(
    host_client, show, field, name, content, message
):
    episode = _episode_with_extras(host_client, show)
    names = (episode.artwork.name, episode.transcript.name, episode.chapters.name)
    cover = ID3(episode.audio.path).getall("APIC")[0].data
    before = _media_files()
    response = host_client.post(
        _edit_url(episode),
        _edit_post(episode, title="Renamed", **{field: SimpleUploadedFile(name, content())}),
    )
    assert response.status_code == 400
    assert message in _text(response)
    episode.refresh_from_db()
    assert (episode.artwork.name, episode.transcript.name, episode.chapters.name) == names
    assert episode.title == "Spinal hypotension"
    assert all(_exists(f) for f in (episode.artwork, episode.transcript, episode.chapters))
    assert _media_files() == before
    assert ID3(episode.audio.path).getall("APIC")[0].data == cover


def test_a_new_file_and_its_remove_box_together_are_refused(host_client, show):
    episode = _episode_with_extras(host_client, show)
    before = _media_files()
    chapters = SimpleUploadedFile("c.json", json.dumps(_CHAPTERS).encode())
    response = host_client.post(
        _edit_url(episode), _edit_post(episode, chapters=chapters, remove_chapters="on")
    )
    assert response.status_code == 400
    assert "Choose a new file or remove the current one, not both." in _text(response)
    assert _media_files() == before


def test_an_edit_the_audio_cannot_take_leaves_no_new_file(host_client, show):
    # The new artwork is stored, then tagging the (damaged) audio fails: the edit is rolled back.
    episode = _episode_with_extras(host_client, show)
    Path(episode.audio.path).write_bytes(b"\x00" * 4096)
    before = _media_files()
    post = _edit_post(episode, artwork=SimpleUploadedFile("a.jpg", make_artwork(1400, "JPEG")))
    response = host_client.post(_edit_url(episode), post)
    assert response.status_code == 400
    assert "Could not write tags into the audio file" in _text(response)
    assert _media_files() == before
    assert Episode.objects.get(pk=episode.pk).artwork.name == episode.artwork.name


def test_editing_the_people_changes_the_feeds_podcast_person(host_client, show):
    episode = _episode_with_extras(host_client, show)
    people = [(p.text, p.get("role")) for p in _feed_item(host_client, episode).findall(f"{PODCAST}person")]
    assert people == [("Dr Grace Hopper", "guest")]  # faculty is announced as a guest
    persons = [("Dr Grace Hopper", "faculty", "MD"), ("Dr Alan Turing", "host", "PhD")]
    post = _edit_post(episode, persons=persons, **{"persons-0-DELETE": "on"})
    assert host_client.post(_edit_url(episode), post).status_code == 302
    assert [(p.name, p.role, p.credentials) for p in episode.persons.all()] == [
        ("Dr Alan Turing", "host", "PhD")
    ]
    people = [(p.text, p.get("role")) for p in _feed_item(host_client, episode).findall(f"{PODCAST}person")]
    assert people == [("Dr Alan Turing", "host")]
    assert "persons" in AuditEvent.objects.filter(action="episode.updated").latest("pk").data["fields"]
    page = _raw(host_client.get(_edit_url(episode)))
    assert 'value="Dr Alan Turing"' in page and "Dr Grace Hopper" not in page


def test_a_person_row_with_credentials_but_no_name_is_refused(host_client, show):
    episode = _episode_with_extras(host_client, show)
    post = _edit_post(episode, persons=[("", "guest", "MD")])
    response = host_client.post(_edit_url(episode), post)
    assert response.status_code == 400 and "Give the person&#x27;s name." in _raw(response)
    assert [p.name for p in episode.persons.all()] == ["Dr Grace Hopper"]


def test_removing_the_chapters_takes_them_out_of_the_feed(
    host_client, show, django_capture_on_commit_callbacks
):
    episode = _episode_with_extras(host_client, show)
    old_chapters = episode.chapters.name
    assert _feed_item(host_client, episode).find(f"{PODCAST}chapters") is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(_edit_url(episode), _edit_post(episode, remove_chapters="on"))
    assert response.status_code == 302
    episode.refresh_from_db()
    assert not episode.chapters and not Path(settings.MEDIA_ROOT, old_chapters).exists()
    item = _feed_item(host_client, episode)
    assert item.find(f"{PODCAST}chapters") is None
    assert item.find(f"{PODCAST}transcript") is not None  # the other files stay
    assert host_client.get(reverse("episodes:chapters", args=[episode.pk])).status_code == 404


def test_a_host_of_another_show_cannot_replace_an_episodes_files(client, make_user, show, host_client):
    episode = _episode_with_extras(host_client, show)
    other = make_user("other-host@example.org")
    other_show = Show.objects.create(title="Other", slug="other", description="d", author="a",
                                     owner_name="o", owner_email="o@example.org")  # fmt: skip
    ShowHost.objects.create(show=other_show, user=other)
    mfa_login(client, other)
    before = _media_files()
    post = _edit_post(episode, persons=[], remove_chapters="on",
                      artwork=SimpleUploadedFile("a.jpg", make_artwork(1400, "JPEG")))  # fmt: skip
    assert client.post(_edit_url(episode), post).status_code == 404
    assert _media_files() == before
    episode.refresh_from_db()
    assert episode.chapters and [p.name for p in episode.persons.all()] == ["Dr Grace Hopper"]


def test_an_edit_over_the_edit_page_limit_is_answered_413_and_nothing_written(host_client, show, settings):
    episode = _episode_with_extras(host_client, show)
    before = _media_files()
    post = _edit_post(
        episode, title="Renamed", artwork=SimpleUploadedFile("a.jpg", make_artwork(1400, "JPEG"))
    )
    # The edit page has its own limit (its largest files), not the audio upload's.
    limits = {**settings.PODCASTCME_BODY_LIMITS, "episodes:host_episode_edit": 2_000}
    with override_settings(PODCASTCME_BODY_LIMITS=limits):
        response = host_client.post(_edit_url(episode), post)
    assert response.status_code == 413 and "nothing was saved" in _text(response)
    assert _media_files() == before
    assert Episode.objects.get(pk=episode.pk).title == "Spinal hypotension"
