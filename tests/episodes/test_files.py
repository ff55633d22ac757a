"""Audio, artwork, transcript and chapters over HTTP: what podcast apps and web players receive."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.http import http_date

from episodes.delivery import Served, Unsatisfiable, parse_range, serve_file
from episodes.models import Episode
from episodes.services import episode_create, show_create
from testkit.factories import PASSWORD
from testkit.media import make_artwork, make_audio

VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nWelcome to Airway Rounds — ça va?\n"
SRT = "1\n00:00:00,000 --> 00:00:02,000\nWelcome\n"
CHAPTERS = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.org")


@pytest.fixture
def podcast(owner):
    return show_create(
        host=owner,
        data={
            "title": "Airway Rounds",
            "slug": "rounds",
            "description": "Short cases in airway management.",
            "author": "Society of Testing",
            "owner_name": "Society of Testing",
            "owner_email": "podcast@example.org",
            "artwork": SimpleUploadedFile("cover.jpg", make_artwork(1400, "JPEG")),
        },
    )


@pytest.fixture
def make_episode(podcast, owner):
    def _make(title="Difficult airway", kind="mp3", status=Episode.Status.PUBLISHED, **extra) -> Episode:
        audio = SimpleUploadedFile(f"upload.{kind}", make_audio(5.0, kind).read_bytes())
        return episode_create(show=podcast, actor=owner, title=title, audio=audio, status=status, **extra)

    return _make


@pytest.fixture
def episode(make_episode):
    return make_episode(
        artwork=SimpleUploadedFile("art.png", make_artwork(1400, "PNG")),
        transcript=SimpleUploadedFile("captions.vtt", VTT.encode()),
        chapters=SimpleUploadedFile("chapters.json", json.dumps(CHAPTERS).encode()),
    )


def stored(field) -> bytes:
    return Path(field.path).read_bytes()


def body(response) -> bytes:
    # The test client closes a streamed response (and its file) once its content has been read.
    return b"".join(response.streaming_content) if response.streaming else response.content


def get(client, url, **headers):
    return client.get(url, headers=headers)


# The whole file


@pytest.mark.django_db
def test_get_streams_the_whole_stored_file(client, episode):
    data = stored(episode.audio)
    response = client.get(episode.get_audio_url())
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # streamed in blocks, not loaded at once
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/mpeg"
    assert int(response["Content-Length"]) == len(data) == episode.audio_size  # what the feed announces
    assert response["ETag"].startswith('"') and response["Last-Modified"]
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Content-Disposition"] == f'inline; filename="{episode.slug}.mp3"'
    assert body(response) == data


@pytest.mark.django_db
def test_audio_url_is_ascii_and_ends_in_the_extension(make_episode):
    episode = make_episode(title="Étude — sécurité «airway»", kind="m4a")
    url = episode.get_audio_url()
    assert url.isascii() and url.endswith(".m4a")
    assert episode.audio_url.startswith("http://testserver/")


@pytest.mark.django_db
def test_head_sends_the_headers_of_get_without_a_body(client, episode):
    got = client.get(episode.get_audio_url())
    head = client.head(episode.get_audio_url())
    assert head.status_code == 200
    assert head.content == b""
    for header in (
        "Content-Length",
        "Content-Type",
        "Accept-Ranges",
        "ETag",
        "Last-Modified",
        "Cache-Control",
    ):
        assert head[header] == got[header], header
    assert len(body(got)) == int(head["Content-Length"])


@pytest.mark.django_db
def test_m4a_is_served_as_audio_mp4(client, make_episode):
    episode = make_episode(kind="m4a")
    response = get(client, episode.get_audio_url(), range="bytes=0-1")
    assert response.status_code == 206
    assert response["Content-Type"] == "audio/mp4"
    assert body(response) == stored(episode.audio)[:2]


# Byte ranges


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-1", 0, 1),  # Apple's probe
        ("bytes=500-", 500, None),
        ("bytes=-500", -500, None),
        ("bytes=100-199", 100, 199),
        ("bytes=1000-99999999999", 1000, None),  # the end is clamped to the file
        ("BYTES = 0 - 1", 0, 1),
    ],
)
def test_a_single_range_is_answered_206(client, episode, header, first, last):
    data = stored(episode.audio)
    size = len(data)
    expected = data[first:] if last is None else data[first : last + 1]
    start = first % size
    response = get(client, episode.get_audio_url(), range=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{size}"
    assert int(response["Content-Length"]) == len(expected)
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == expected


@pytest.mark.django_db
def test_a_suffix_longer_than_the_file_gets_the_whole_file_as_206(client, episode):
    size = episode.audio_size
    response = get(client, episode.get_audio_url(), range=f"bytes=-{size * 2}")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert body(response) == stored(episode.audio)


@pytest.mark.django_db
def test_head_with_a_range_announces_the_206_without_a_body(client, episode):
    response = client.head(episode.get_audio_url(), headers={"range": "bytes=0-1"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-1/{episode.audio_size}"
    assert response["Content-Length"] == "2"
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{size}", "bytes=-0"])
def test_an_unsatisfiable_range_is_answered_416(client, episode, header):
    size = episode.audio_size
    response = get(client, episode.get_audio_url(), range=header.format(size=size))
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"
    assert body(response) == b""


MALFORMED = {
    "garbage": "bytes=abc",
    "other-unit": "items=0-1",
    "backwards": "bytes=5-2",
    "multi-range": "bytes=0-1,5-6",
    "empty-range": "bytes=-",
    "no-equals": "bytes 0-1",
    "trailing-comma": "bytes=0-1,",
    "blank": " ",
    "huge-number": "bytes=1" + "0" * 5000 + "-",
}


@pytest.mark.django_db
@pytest.mark.parametrize("header", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_or_multi_ranges_get_the_whole_file(client, episode, header):
    response = get(client, episode.get_audio_url(), range=header)
    assert response.status_code == 200
    assert "Content-Range" not in response
    assert body(response) == stored(episode.audio)


# Conditional requests


@pytest.mark.django_db
def test_if_none_match_with_the_etag_is_answered_304(client, episode):
    first = client.head(episode.get_audio_url())
    response = get(client, episode.get_audio_url(), if_none_match=first["ETag"])
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == first["ETag"]


@pytest.mark.django_db
def test_if_modified_since_is_answered_304_until_the_file_changes(client, episode):
    first = client.head(episode.get_audio_url())
    response = get(client, episode.get_audio_url(), if_modified_since=first["Last-Modified"])
    assert response.status_code == 304
    older = http_date(timezone.now().timestamp() - 86400 * 365)
    assert client.head(episode.get_audio_url(), headers={"if_modified_since": older}).status_code == 200


@pytest.mark.django_db
def test_if_range_resumes_only_the_same_version(client, episode):
    etag = client.head(episode.get_audio_url())["ETag"]
    same = get(client, episode.get_audio_url(), range="bytes=10-19", if_range=etag)
    assert same.status_code == 206
    assert body(same) == stored(episode.audio)[10:20]
    # The file was re-tagged since: a resumed download must start over with the new bytes.
    other = get(client, episode.get_audio_url(), range="bytes=10-19", if_range='"1-2"')
    assert other.status_code == 200
    assert body(other) == stored(episode.audio)


# Who may fetch what


@pytest.mark.django_db
def test_a_draft_is_hidden_from_the_public_and_served_to_its_host(client, make_user, owner, make_episode):
    draft = make_episode(status=Episode.Status.DRAFT)
    url = draft.get_audio_url()
    assert client.get(url).status_code == 404
    client.login(email=make_user("other@example.org").email, password=PASSWORD)
    assert client.get(url).status_code == 404
    client.login(email=owner.email, password=PASSWORD)
    response = get(client, url, range="bytes=0-1")
    assert response.status_code == 206
    assert response["Cache-Control"] == "private, no-cache"  # a shared cache never keeps a draft
    assert "Access-Control-Allow-Origin" not in response
    assert body(response) == stored(draft.audio)[:2]


@pytest.mark.django_db
def test_a_scheduled_episode_is_served_once_due_without_a_cron_job(client, make_episode):
    episode = make_episode(publish_at=timezone.now() + timedelta(hours=1))
    url = episode.get_audio_url()
    assert client.head(url).status_code == 404
    Episode.objects.filter(pk=episode.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    assert client.head(url).status_code == 200


@pytest.mark.django_db
def test_wrong_slug_extension_or_id_is_404(client, episode):
    for url in (
        f"/audio/{episode.pk}/other-slug.mp3",
        f"/audio/{episode.pk}/{episode.slug}.m4a",
        f"/audio/{episode.pk + 1000}/{episode.slug}.mp3",
        f"/audio/{episode.pk}/{episode.slug}.wav",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_a_missing_file_is_404_not_500(client, episode):
    Path(episode.audio.path).unlink()
    assert client.get(episode.get_audio_url()).status_code == 404


@pytest.mark.django_db
def test_only_get_and_head_are_allowed(client, episode):
    response = client.post(episode.get_audio_url())
    assert response.status_code == 405
    assert not Episode.objects.filter(pk=episode.pk, title="").exists()


# nginx hand-off


@pytest.mark.django_db
@override_settings(PODCASTCME_X_ACCEL_REDIRECT_PREFIX="/protected-media/")
def test_x_accel_redirect_hands_the_bytes_to_nginx(client, episode):
    response = get(client, episode.get_audio_url(), range="bytes=0-1")
    assert response["X-Accel-Redirect"] == f"/protected-media/{episode.audio.name}"
    assert not response.streaming
    assert response.content == b""  # nginx sends the bytes and answers the range itself
    assert response["Content-Type"] == "audio/mpeg"  # nginx keeps these headers
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert "Content-Range" not in response


@pytest.mark.django_db
@override_settings(PODCASTCME_X_ACCEL_REDIRECT_PREFIX="/protected-media/")
def test_x_accel_redirect_still_hides_drafts(client, make_episode):
    draft = make_episode(status=Episode.Status.DRAFT)
    response = client.get(draft.get_audio_url())
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


# Artwork, transcripts, chapters


@pytest.mark.django_db
def test_show_artwork_is_served_as_jpeg(client, podcast):
    url = podcast.get_artwork_url()
    assert url == "/shows/rounds/artwork.jpg"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert body(response) == stored(podcast.artwork)
    assert client.get("/shows/rounds/artwork.png").status_code == 404
    assert client.get("/shows/no-such-show/artwork.jpg").status_code == 404


@pytest.mark.django_db
def test_episode_artwork_is_served_as_png(client, episode):
    url = episode.get_artwork_url()
    assert url.endswith("/artwork.png")
    response = client.get(url)
    assert response["Content-Type"] == "image/png"
    assert body(response) == stored(episode.artwork)
    assert client.get(url.replace(".png", ".jpg")).status_code == 404


@pytest.mark.django_db
def test_vtt_transcript_is_utf8_text_vtt_open_to_web_players(client, episode):
    url = episode.get_transcript_url()
    assert url.endswith("/transcript.vtt")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert body(response).decode("utf-8") == VTT
    assert client.get(url.replace(".vtt", ".srt")).status_code == 404


@pytest.mark.django_db
def test_srt_transcript_is_served_as_subrip(client, make_episode):
    episode = make_episode(transcript=SimpleUploadedFile("captions.srt", SRT.encode()))
    url = episode.get_transcript_url()
    assert url.endswith("/transcript.srt")
    response = client.get(url)
    assert response["Content-Type"] == "application/x-subrip; charset=utf-8"
    assert body(response).decode() == SRT


@pytest.mark.django_db
def test_chapters_are_json_chapters_open_to_web_players(client, episode):
    response = client.get(episode.get_chapters_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json+chapters"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert json.loads(body(response)) == CHAPTERS


@pytest.mark.django_db
def test_a_drafts_transcript_chapters_and_artwork_are_hidden_from_the_public(client, owner, make_episode):
    draft = make_episode(
        status=Episode.Status.DRAFT,
        artwork=SimpleUploadedFile("art.png", make_artwork(1400, "PNG")),
        transcript=SimpleUploadedFile("captions.vtt", VTT.encode()),
        chapters=SimpleUploadedFile("chapters.json", json.dumps(CHAPTERS).encode()),
    )
    urls = [draft.get_transcript_url(), draft.get_chapters_url(), draft.get_artwork_url()]
    assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.login(email=owner.email, password=PASSWORD)
    assert [client.head(url).status_code for url in urls] == [200, 200, 200]


@pytest.mark.django_db
def test_an_episode_without_transcript_or_chapters_has_no_such_files(client, make_episode):
    episode = make_episode()
    assert episode.get_transcript_url() == episode.get_chapters_url() == ""
    assert client.get(f"/episodes/{episode.pk}/transcript.vtt").status_code == 404
    assert client.get(f"/episodes/{episode.pk}/chapters.json").status_code == 404


# The range arithmetic and the download-counting hook


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-1", (0, 1)),
        ("bytes=0-0", (0, 0)),
        ("bytes=999-", (999, 999)),
        ("bytes=-1", (999, 999)),
        ("bytes=-1000", (0, 999)),
        ("bytes=998-5000", (998, 999)),
        (None, None),
        ("bytes=3-2", None),
        ("bytes=0-1, 3-4", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-1001", "bytes=-0"])
def test_parse_range_unsatisfiable(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


@pytest.mark.django_db
def test_on_served_reports_each_answer_for_download_counting(episode):
    seen: list[Served] = []
    size = episode.audio_size

    def serve(method, **headers):
        request = getattr(RequestFactory(), method)("/", headers=headers)
        response = serve_file(
            request,
            episode.audio,
            content_type="audio/mpeg",
            cache_control="public",
            on_served=lambda req, served: seen.append(served),
        )
        if getattr(response, "file_to_stream", None) is not None:
            response.file_to_stream.close()  # not response.close(): that would end the test's DB connection
        return response

    etag = serve("head")["ETag"]
    serve("get", range="bytes=0-1")
    serve("get", range="bytes=100-")
    serve("get", if_none_match=etag)
    serve("get", range=f"bytes={size}-")
    served = [(s.method, s.status, s.start, s.end, s.range_requested) for s in seen]
    assert served == [
        ("HEAD", 200, None, None, False),
        ("GET", 206, 0, 1, True),
        ("GET", 206, 100, size - 1, True),
        ("GET", 304, None, None, False),
        ("GET", 416, None, None, False),
    ]
    assert [s.length for s in seen] == [0, 2, size - 100, 0, 0]
    assert all(s.size == size and not s.via_nginx for s in seen)
