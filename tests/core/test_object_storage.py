"""Object storage: with an S3 bucket as the default storage (moto's S3 server on loopback, testkit/s3.py)
every stored file goes to the bucket, nothing in it is public, and the app answers downloads it allows
with a redirect to a signed URL that expires."""

import datetime
import io
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client, override_settings
from django.urls import reverse
from mutagen.id3 import ID3

from credits.models import Certificate, ExternalCredit
from episodes.analytics.thresholds import download_threshold, header_bytes
from episodes.artwork import TAG_WIDTH, render
from episodes.models import Download, DownloadRequest, Episode
from testkit.factories import claim_and_issue
from testkit.media import audio_bytes, make_artwork
from testkit.s3 import presigned_expiry, s3_media_fixture, s3_server_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"


def _episode_post(audio: SimpleUploadedFile, **overrides) -> dict:
    data: dict[str, object] = {
        "title": "Spinal hypotension",
        "notes": "Phenylephrine first.",
        "episode_type": "full",
        "status": "published",
        "topics": "",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "audio": audio,
    }
    data.update(overrides)
    return data


def _upload(host_client, show, seconds: float = 5.0, kind: str = "mp3", **overrides) -> Episode:
    audio = SimpleUploadedFile(f"episode.{kind}", audio_bytes(seconds, kind))
    response = host_client.post(
        reverse("episodes:host_episode_upload", args=[show.slug]), _episode_post(audio, **overrides)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Episode.objects.filter(show=show).latest("pk")


def _fetch(url: str, method: str = "GET", headers: dict | None = None):
    """A plain HTTP client (no credentials), as a podcast app following the redirect."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()  # names case-insensitive
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _not_on_disk(name: str) -> bool:
    return not (Path(settings.MEDIA_ROOT) / name).exists()


# --- Upload: the bucket holds the files, measured and tagged ----------------------------------------


def test_an_uploaded_episode_lands_in_the_bucket_measured_and_tagged(host_client, show, s3_media):
    cover = make_artwork(1400)
    show.artwork.save("cover.jpg", io.BytesIO(cover), save=True)
    episode = _upload(host_client, show, 5.0)

    assert episode.audio.name in s3_media.keys() and show.artwork.name in s3_media.keys()
    assert _not_on_disk(episode.audio.name)
    stored = s3_media.read(episode.audio.name)
    assert 4.9 < episode.audio_duration < 5.2 and 60_000 <= episode.audio_bitrate <= 68_000
    assert episode.audio_size == len(stored)  # measured after the tags were written into the object
    with tempfile.NamedTemporaryFile(suffix=".mp3") as copy:
        copy.write(stored)
        copy.flush()
        tags = ID3(copy.name)
    assert str(tags["TIT2"]) == "Spinal hypotension" and str(tags["TALB"]) == show.title
    assert tags.getall("APIC")[0].data == render(cover).images[TAG_WIDTH]  # the small cover, not the original

    feed = feedparser.parse(host_client.get(reverse("episodes:feed", args=[show.slug])).content)
    enclosure = feed.entries[0].enclosures[0]
    assert int(enclosure["length"]) == len(stored)
    assert enclosure["href"].endswith(f"/audio/{episode.pk}/{episode.slug}.mp3")


@pytest.mark.django_db(transaction=True)
def test_the_files_are_stored_before_the_transaction_opens(host_client, show, s3_media):
    """Storing in a bucket is network calls: no database transaction waits on them (locks held)."""
    calls: list[tuple[str, bool]] = []
    database = connections["default"]  # this thread's connection: uploads may run in s3transfer's threads

    def note(request, **kwargs):
        calls.append((request.method, database.in_atomic_block))

    default_storage.connection.meta.client.meta.events.register("before-send.s3", note)
    artwork = SimpleUploadedFile("ep.png", make_artwork(1400, "PNG"))
    episode = _upload(host_client, show, artwork=artwork)
    assert episode.artwork.name in s3_media.keys()
    assert [method for method, _ in calls].count("PUT") >= 2  # audio and artwork (and the tagged audio)
    assert [call for call in calls if call[1]] == []


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_large_upload_streamed_to_a_temporary_file_is_measured_and_stored(host_client, show, s3_media):
    episode = _upload(host_client, show, 20.0)
    assert 19.9 < episode.audio_duration < 20.2
    assert episode.audio_size == len(s3_media.read(episode.audio.name))


def test_renaming_an_episode_retags_the_object_under_the_same_key(
    host_client, show, s3_media, django_capture_on_commit_callbacks
):
    episode = _upload(host_client, show)
    url = reverse("episodes:host_episode_edit", args=[show.slug, episode.pk])
    post = _episode_post(SimpleUploadedFile("x.mp3", b""), title="Vasopressors in labour")
    del post["audio"]
    post.update({"persons-TOTAL_FORMS": "0"})
    with django_capture_on_commit_callbacks(execute=True):  # the re-tagged copy is uploaded after the commit
        response = host_client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:2000]
    episode.refresh_from_db()
    assert episode.audio.name in s3_media.keys()
    stored = s3_media.read(episode.audio.name)
    with tempfile.NamedTemporaryFile(suffix=".mp3") as copy:
        copy.write(stored)
        copy.flush()
        assert str(ID3(copy.name)["TIT2"]) == "Vasopressors in labour"
    assert episode.audio_size == len(stored)


# --- Delivery: a redirect to a signed URL that works and expires ------------------------------------


def test_audio_redirects_to_a_signed_url_that_serves_ranges(host_client, show, s3_media, settings):
    settings.PODCASTCME_S3_AUDIO_URL_SECONDS = 120
    episode = _upload(host_client, show)
    stored = s3_media.read(episode.audio.name)
    url = reverse("episodes:audio", args=[episode.pk, episode.slug, "mp3"])
    client = Client()  # a podcast app (host_client is the test's own client, logged in)

    probe = client.get(url, HTTP_RANGE="bytes=0-1")
    assert probe.status_code == 302
    assert probe["Cache-Control"] == "private, no-store"  # no cache keeps a signed URL
    assert probe["Access-Control-Allow-Origin"] == "*"
    location = probe["Location"]
    assert location.startswith(f"{s3_media.endpoint_url}/{s3_media.bucket}/{episode.audio.name}?")
    signed = _query(location)
    assert signed["response-content-type"] == "audio/mpeg"
    assert signed["response-cache-control"] == "public, max-age=86400"

    status, headers, body = _fetch(location, headers={"Range": "bytes=0-1"})
    assert (status, body) == (206, stored[:2]) and body == b"ID"
    assert headers["Content-Range"] == f"bytes 0-1/{len(stored)}"
    assert headers["Content-Type"] == "audio/mpeg"
    status, headers, body = _fetch(location, headers={"Range": "bytes=1000-"})
    assert (status, body) == (206, stored[1000:])
    status, headers, body = _fetch(location)
    assert (status, body) == (200, stored)
    assert f'filename="{episode.slug}.mp3"' in headers["Content-Disposition"]

    # HEAD is signed for HEAD (S3 signs the method: a GET URL would answer HEAD with 403).
    head = client.head(url)
    assert head.status_code == 302
    presigned_expiry(head["Location"], method="HEAD")
    status, headers, body = _fetch(head["Location"], method="HEAD")
    assert status == 200 and int(headers["Content-Length"]) == len(stored)


def test_redirected_audio_requests_are_counted_as_the_bucket_answers_them(host_client, show, s3_media):
    """IAB counting keeps working: each redirect is recorded with the range the bucket will send."""
    episode = _upload(host_client, show, 90.0)
    size = len(s3_media.read(episode.audio.name))
    url = reverse("episodes:audio", args=[episode.pk, episode.slug, "mp3"])
    apple = Client(HTTP_USER_AGENT=APPLE, REMOTE_ADDR="203.0.113.7")
    assert apple.get(url, HTTP_RANGE="bytes=0-1").status_code == 302
    assert Download.objects.count() == 0  # Apple's probe never counts
    assert apple.head(url).status_code == 302
    assert apple.get(url, HTTP_RANGE="bytes=0-").status_code == 302
    assert apple.get(url, HTTP_RANGE=f"bytes={size}-").status_code == 302  # the bucket answers 416
    assert Download.objects.get(episode=episode).app == "Apple Podcasts"
    rows = DownloadRequest.objects.filter(episode=episode).order_by("id")
    assert list(rows.values_list("status", "range_start", "range_end")) == [
        (206, 0, 1),
        (200, None, None),  # HEAD: no body, never a download
        (206, 0, size - 1),
        (416, None, None),
    ]


@pytest.mark.parametrize("kind", ["mp3", "m4a"])
def test_the_counting_threshold_reads_only_the_header_from_the_bucket(host_client, show, s3_media, kind):
    show.artwork.save("cover.jpg", io.BytesIO(make_artwork(1400)), save=True)  # a large ID3 header
    episode = _upload(host_client, show, 90.0, kind=kind)
    stored = s3_media.read(episode.audio.name)
    gets: list[str] = []

    def note(request, **kwargs):
        if request.method == "GET":
            gets.append(request.headers.get("Range", b"").decode() or "(whole object)")

    default_storage.connection.meta.client.meta.events.register("before-send.s3", note)
    threshold = download_threshold(episode, len(stored))
    assert threshold == header_bytes(io.BytesIO(stored)) + episode.audio_bitrate * 60 // 8
    assert gets and all(get.startswith("bytes=") and not get.endswith("-") for get in gets), gets


def test_the_signed_url_expires_and_cannot_be_stretched(host_client, show, s3_media, settings):
    settings.PODCASTCME_S3_AUDIO_URL_SECONDS = 120
    episode = _upload(host_client, show)
    client = Client()
    before = datetime.datetime.now(datetime.UTC)
    location = client.get(reverse("episodes:audio", args=[episode.pk, episode.slug, "mp3"]))["Location"]
    expires_at = presigned_expiry(location)  # the signature verifies with the bucket's credentials
    assert before.replace(microsecond=0) + datetime.timedelta(seconds=119) <= expires_at
    assert expires_at <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=121)
    for tampered in (
        location.replace("X-Amz-Expires=120", "X-Amz-Expires=604800"),
        location.replace("public%2C%20max-age%3D86400", "public%2C%20max-age%3D31536000"),
    ):
        assert tampered != location
        with pytest.raises(AssertionError, match="does not verify"):
            presigned_expiry(tampered)


def test_a_drafts_audio_is_not_reachable(host_client, show, s3_media):
    episode = _upload(host_client, show, status="draft")
    url = reverse("episodes:audio", args=[episode.pk, episode.slug, "mp3"])
    client = Client()  # the public (host_client is the test's own client, logged in)
    assert client.get(url).status_code == 404  # no redirect, no signed URL for the public
    assert client.get(url, HTTP_RANGE="bytes=0-1").status_code == 404
    status, _headers, _body = _fetch(s3_media.object_url(episode.audio.name))
    assert status == 403
    preview = host_client.get(url)  # its host previews it: never stored by a shared cache
    assert preview.status_code == 302 and preview["Cache-Control"] == "private, no-store"
    assert _query(preview["Location"])["response-cache-control"] == "private, no-cache"
    assert "Access-Control-Allow-Origin" not in preview


def test_nothing_in_the_bucket_is_public(host_client, show, s3_media):
    show.artwork.save("cover.jpg", io.BytesIO(make_artwork(1400)), save=True)
    vtt = SimpleUploadedFile("t.vtt", b"WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n")
    episode = _upload(host_client, show, transcript=vtt)
    client = Client()
    names = [episode.audio.name, episode.transcript.name, show.artwork.name]
    assert set(names) <= set(s3_media.keys())
    for name in names:
        status, _headers, body = _fetch(s3_media.object_url(name))
        assert status == 403, name  # an anonymous GET of the object's own address
        assert b"WEBVTT" not in body and b"ID3" not in body
        grants = s3_media.acl_grants(name)
        assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers
    # The public files of a published episode are reached through the app's redirects only.
    transcript = client.get(reverse("episodes:transcript", args=[episode.pk, "vtt"]))
    assert transcript.status_code == 302
    assert _fetch(transcript["Location"])[2].startswith(b"WEBVTT")
    artwork = client.get(reverse("episodes:show_artwork", args=[show.slug, "jpg"]))
    assert artwork.status_code == 302 and _fetch(artwork["Location"])[1]["Content-Type"] == "image/jpeg"


# --- Certificates and learners' uploads -------------------------------------------------------------


def test_a_rendered_certificate_is_stored_in_the_bucket_and_downloaded_by_its_learner_only(
    client, learner, make_user, coordinator, activity, evaluated, s3_media, django_capture_on_commit_callbacks
):
    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ISSUED and certificate.pdf
    assert certificate.pdf.name in s3_media.keys() and _not_on_disk(certificate.pdf.name)
    stored = s3_media.read(certificate.pdf.name)
    assert stored.startswith(b"%PDF-")
    assert _fetch(s3_media.object_url(certificate.pdf.name))[0] == 403

    page = reverse("credits:certificate_pdf", args=[certificate.pk])
    client.force_login(learner)
    link = client.get(page)
    assert link.status_code == 302 and link["Cache-Control"] == "private, no-store"
    download = client.get(link["Location"])
    assert download.status_code == 302 and download["Cache-Control"] == "private, no-store"
    signed = _query(download["Location"])
    assert int(signed["X-Amz-Expires"]) == settings.PODCASTCME_S3_PRIVATE_URL_SECONDS
    presigned_expiry(download["Location"])
    status, headers, body = _fetch(download["Location"])
    assert (status, body) == (200, stored)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f'attachment; filename="{certificate.number}.pdf"'

    for other in (make_user("other@example.org", profile=True), coordinator):
        client.force_login(other)
        assert client.get(page).status_code == 404  # not theirs: no link, no signed URL
    client.logout()
    assert client.get(page).status_code == 302 and "login" in client.get(page)["Location"]


@pytest.mark.django_db(transaction=True)
def test_a_learners_upload_is_stored_before_the_transaction_opens(client, learner, s3_media):
    calls: list[tuple[str, bool]] = []
    database = connections["default"]  # this thread's connection: uploads may run in s3transfer's threads

    def note(request, **kwargs):
        calls.append((request.method, database.in_atomic_block))

    default_storage.connection.meta.client.meta.events.register("before-send.s3", note)
    client.force_login(learner)
    response = client.post(reverse("credits:external_create"), _external_post())
    assert response.status_code == 302
    credit = ExternalCredit.objects.get(learner=learner)
    assert credit.certificate_file.name in s3_media.keys()
    assert ("PUT", False) in calls and [call for call in calls if call[1]] == []
    calls.clear()
    replacement = _external_post(certificate_file=SimpleUploadedFile("b.pdf", b"%PDF-1.4\n%%EOF\n"))
    response = client.post(reverse("credits:external_edit", args=[credit.pk]), replacement)
    assert response.status_code == 302
    credit.refresh_from_db()
    assert s3_media.keys() == [credit.certificate_file.name]  # the old file deleted after the commit
    assert ("PUT", False) in calls and [call for call in calls if call[1]] == []


def _external_post(**overrides) -> dict:
    data = {
        "title": "Regional anaesthesia workshop",
        "provider_name": "Society of Anaesthetists",
        "completed_on": "2026-03-02",
        "credits": "2.5",
        "credit_type": "ama_pra_1",
        "certificate_file": SimpleUploadedFile(
            "mine.png", make_artwork(200, "PNG"), content_type="image/png"
        ),
    }
    data.update(overrides)
    return data


def test_a_learners_uploaded_certificate_goes_to_the_bucket_and_back_to_them_only(
    client, learner, make_user, s3_media
):
    client.force_login(learner)
    response = client.post(reverse("credits:external_create"), _external_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    credit = ExternalCredit.objects.get(learner=learner)
    assert credit.certificate_file.name in s3_media.keys()
    assert _fetch(s3_media.object_url(credit.certificate_file.name))[0] == 403
    url = reverse("credits:external_file", args=[credit.pk])
    answer = client.get(url)
    assert answer.status_code == 302 and answer["Cache-Control"] == "private, no-store"
    status, headers, body = _fetch(answer["Location"])
    assert status == 200 and body == s3_media.read(credit.certificate_file.name)
    assert headers["Content-Disposition"] == f'attachment; filename="certificate-{credit.pk}.png"'
    client.force_login(make_user("other@example.org", profile=True))
    assert client.get(url).status_code == 404
