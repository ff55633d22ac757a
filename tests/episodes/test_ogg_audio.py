"""Ogg Vorbis and Opus episodes end to end: read, tagged, uploaded by a host, served with ranges,
published in the feed, counted, imported from another host; bad Ogg files refused."""

import base64
import functools
import http.client
import io
import json
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import mutagen
import podcastparser
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from mutagen.flac import Picture
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from episodes.analytics.access_log import ingest
from episodes.analytics.thresholds import download_threshold, header_bytes
from episodes.artwork import TAG_MAX_BYTES, TAG_WIDTH, render
from episodes.audio import AudioError, embedded_cover_bytes, read_audio, write_tags
from episodes.feeds import build_feed
from episodes.importer import import_feed
from episodes.models import DailyEpisodeDownloads, Download, DownloadRequest, Episode
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_token, personal_feed_url
from episodes.services import episode_create
from testkit import factories
from testkit.media import make_artwork
from testkit.nginx import Nginx, repo_nginx
from testkit.servers import gunicorn, shared_database

_CACHE = Path(tempfile.mkdtemp(prefix="podcastcme-test-ogg-audio-"))
CODECS = {"ogg": "libvorbis", "opus": "libopus"}
APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"


@functools.cache
def ogg_audio(kind: str, seconds: float = 3.0) -> bytes:
    """Real Ogg Vorbis (``ogg``) or Ogg Opus (``opus``) audio of a tone, made by ffmpeg."""
    out = _CACHE / f"tone-{seconds}.{kind}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency=440:duration={seconds}", "-ac", "1", "-c:a", CODECS[kind], "-b:a", "32k",
         str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


@functools.cache
def ogg_video() -> bytes:
    """An Ogg file with a Theora video stream beside its Vorbis audio (an .ogv)."""
    out = _CACHE / "clip.ogv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5",
         "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libtheora", "-c:a", "libvorbis",
         "-f", "ogg", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _tag_cover(artwork: bytes) -> bytes:
    return render(artwork).images[TAG_WIDTH]


# --- reading -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mime"), [("ogg", "audio/ogg; codecs=vorbis"), ("opus", "audio/ogg; codecs=opus")]
)
def test_ogg_vorbis_and_opus_are_identified_and_measured(tmp_path, kind, mime):
    info = read_audio(_write(tmp_path, f"episode.{kind}", ogg_audio(kind)))
    assert (info.kind, info.mime, info.extension) == (kind, mime, kind)
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert 16_000 < info.bitrate < 80_000


def test_opus_named_ogg_or_mp3_is_identified_by_its_content(tmp_path):
    assert read_audio(_write(tmp_path, "episode.ogg", ogg_audio("opus"))).kind == "opus"
    assert read_audio(_write(tmp_path, "episode.mp3", ogg_audio("opus"))).kind == "opus"
    assert read_audio(_write(tmp_path, "episode.opus", ogg_audio("ogg"))).kind == "ogg"


# --- bad Ogg files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ogg", "opus"])
@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.97])
def test_a_truncated_ogg_file_is_refused(tmp_path, kind, fraction):
    data = ogg_audio(kind)
    path = _write(tmp_path, f"episode.{kind}", data[: int(len(data) * fraction)])
    with pytest.raises(AudioError, match="seems truncated"):
        read_audio(path)


def test_an_ogg_file_missing_only_its_last_bytes_is_refused(tmp_path):
    path = _write(tmp_path, "episode.opus", ogg_audio("opus")[:-10])  # the end-of-stream page cut
    with pytest.raises(AudioError, match="Ogg file seems truncated"):
        read_audio(path)


@pytest.mark.parametrize("name", ["episode.ogg", "episode.opus"])
def test_text_renamed_ogg_is_refused(tmp_path, name):
    path = _write(tmp_path, name, b"These are my show notes, not audio.\n" * 200)
    with pytest.raises(AudioError, match=r"Unsupported file type: .*Ogg Vorbis or Opus"):
        read_audio(path)


def test_an_ogg_video_is_refused(tmp_path):
    path = _write(tmp_path, "episode.ogg", ogg_video())
    with pytest.raises(AudioError, match=r"(holds 2 streams|Unsupported audio format \(OggTheora\))"):
        read_audio(path)


# --- tags --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "cls"), [("ogg", OggVorbis), ("opus", OggOpus)])
def test_vorbis_comments_carry_title_show_artist_and_the_cover(tmp_path, kind, cls):
    path = _write(tmp_path, f"episode.{kind}", ogg_audio(kind))
    cover = make_artwork(600, "JPEG")
    write_tags(path, title="Ketamine ✓", show_title="Airway Rounds", author="Dr Ada", artwork=cover)

    audio = mutagen.File(path)
    assert isinstance(audio, cls)
    assert audio["title"] == ["Ketamine ✓"] and audio["album"] == ["Airway Rounds"]
    assert audio["artist"] == ["Dr Ada"] and audio["genre"] == ["Podcast"]
    picture = Picture(base64.b64decode(audio["metadata_block_picture"][0]))
    assert (picture.type, picture.mime, picture.data) == (3, "image/jpeg", cover)
    assert embedded_cover_bytes(path) == len(cover)
    info = read_audio(path)  # still whole, still the same audio
    assert info.kind == kind and info.duration == pytest.approx(3.0, abs=0.05)

    write_tags(path, title="Renamed", show_title="Airway Rounds")  # no artwork: no cover left
    audio = mutagen.File(path)
    assert audio["title"] == ["Renamed"] and "metadata_block_picture" not in audio
    assert embedded_cover_bytes(path) == 0


# --- the download threshold: the header is the Ogg pages of the header packets -------------------------


@pytest.mark.parametrize(("kind", "header_packets"), [("ogg", 3), ("opus", 2)])
def test_ogg_header_is_the_pages_before_the_first_audio_packet(tmp_path, kind, header_packets):
    path = _write(tmp_path, f"episode.{kind}", ogg_audio(kind))
    write_tags(path, title="T", show_title="S", artwork=os.urandom(150_000))  # a comment packet of many pages
    with path.open("rb") as handle:
        header = header_bytes(handle)
    # Walk the pages: the header ends where the granule position (samples) stops being 0, and
    # the comment packet (with the cover) lies within it.
    offset, pages = 0, []
    with path.open("rb") as handle:
        while True:
            page = OggPage(handle)
            if page.position != 0 and page.position != -1:
                break
            offset = handle.tell()
            pages.append(page)
    assert header == offset
    assert len(OggPage.to_packets(pages)) == header_packets  # identification, comment (and setup)
    assert header > embedded_cover_bytes(path) == 150_000


def test_header_of_a_damaged_ogg_file_is_zero():
    assert header_bytes(io.BytesIO(b"OggS" + b"\x00" * 10)) == 0
    assert header_bytes(io.BytesIO(ogg_audio("opus")[:60])) == 0  # cut inside the headers


# --- through the host's upload form, the audio view and the feed -------------------------------------


def _episode_post(audio: SimpleUploadedFile, **overrides) -> dict:
    data: dict[str, object] = {
        "title": "Spinal hypotension",
        "notes": "Phenylephrine first.",
        "episode_type": "full",
        "status": "published",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "0",
        "persons-MAX_NUM_FORMS": "20",
        "audio": audio,
    }
    data.update(overrides)
    return data


def _upload_url(show) -> str:
    return reverse("episodes:host_episode_upload", args=[show.slug])


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize(("kind", "cls"), [("ogg", OggVorbis), ("opus", OggOpus)])
def test_a_host_uploads_ogg_audio_served_with_ranges_and_published_as_audio_ogg(
    host_client, client, show, kind, cls
):
    show.artwork.save("cover.jpg", io.BytesIO(make_artwork(1400)), save=True)
    upload = SimpleUploadedFile(f"My Recording.{kind}", ogg_audio(kind), content_type="audio/ogg")
    response = host_client.post(_upload_url(show), _episode_post(upload))
    assert response.status_code == 302
    episode = Episode.objects.get(show=show)
    assert episode.audio.name.endswith(f".{kind}") and episode.audio_extension == kind
    assert episode.audio_size == Path(episode.audio.path).stat().st_size
    assert episode.audio_duration == pytest.approx(3.0, abs=0.05)
    audio = mutagen.File(episode.audio.path)  # tagged: title, show, and the small cover
    assert isinstance(audio, cls) and audio["title"] == ["Spinal hypotension"]
    picture = Picture(base64.b64decode(audio["metadata_block_picture"][0]))
    assert picture.data == _tag_cover(show.artwork.open("rb").read()) and len(picture.data) <= TAG_MAX_BYTES

    # The host page says Apple Podcasts leaves the episode out.
    page = host_client.get(reverse("episodes:host_show", args=[show.slug])).content.decode()
    assert 'id="apple-audio"' in page and "1 episode is Ogg Vorbis or Opus audio" in page
    assert "Not on Apple Podcasts (Ogg)" in page

    # Served as audio/ogg with ranges: Apple-style probe 206, a middle range, the whole file.
    url = episode.get_audio_url()
    assert url == f"/audio/{episode.pk}/{episode.slug}.{kind}"
    data = Path(episode.audio.path).read_bytes()
    probe = client.get(url, HTTP_RANGE="bytes=0-1")
    assert probe.status_code == 206 and b"".join(probe.streaming_content) == b"Og"
    assert probe["Content-Type"] == episode.audio_mime
    assert probe["Content-Type"] == f"audio/ogg; codecs={'opus' if kind == 'opus' else 'vorbis'}"
    middle = client.get(url, HTTP_RANGE="bytes=100-1099")
    assert middle.status_code == 206 and middle["Content-Range"] == f"bytes 100-1099/{len(data)}"
    assert b"".join(middle.streaming_content) == data[100:1100]
    whole = client.get(url)
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == data
    assert client.get(f"/audio/{episode.pk}/{episode.slug}.mp3").status_code == 404  # not its extension

    # The feed: the enclosure URL ends in .ogg/.opus, its type is audio/ogg, its length the file's.
    feed = client.get(show.get_feed_url()).content
    enclosure = feedparser.parse(feed).entries[0].enclosures[0]
    assert enclosure.href == settings.SITE_URL + url
    assert (enclosure.type, enclosure.length) == ("audio/ogg", str(len(data)))
    parsed = podcastparser.parse(show.feed_url, io.BytesIO(feed))
    assert parsed["episodes"][0]["enclosures"] == [
        {"url": settings.SITE_URL + url, "file_size": len(data), "mime_type": "audio/ogg"}
    ]


BAD_OGG_UPLOADS = {
    "text-named-opus": (
        "episode.opus",
        lambda: b"Show notes, renamed.\n" * 100,
        "Unsupported file type: upload an MP3 or an M4A (AAC) file, or an Ogg Vorbis or Opus one.",
    ),
    "truncated-ogg": ("episode.ogg", lambda: ogg_audio("ogg")[:3000], "The Ogg file seems truncated"),
    "truncated-opus": ("episode.opus", lambda: ogg_audio("opus")[:-500], "The Ogg file seems truncated"),
}


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
@pytest.mark.parametrize("case", BAD_OGG_UPLOADS.values(), ids=BAD_OGG_UPLOADS.keys())
def test_bad_ogg_uploads_are_refused_with_a_clear_message_and_nothing_written(host_client, show, case):
    name, content, message = case
    before = _media_files()
    response = host_client.post(_upload_url(show), _episode_post(SimpleUploadedFile(name, content())))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Episode.objects.exists()
    assert _media_files() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_opus_upload_over_the_size_limit_is_answered_413(host_client, show, settings):
    settings.PODCASTCME_MAX_UPLOAD_BYTES = 5_000
    response = host_client.post(
        _upload_url(show), _episode_post(SimpleUploadedFile("a.opus", ogg_audio("opus")))
    )
    assert response.status_code == 413
    assert not Episode.objects.exists()


# --- counting downloads ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_opus_download_counts_once_past_its_header_and_a_minute(client, host, show, settings):
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    show.artwork.save("cover.jpg", io.BytesIO(make_artwork(1400)), save=True)
    episode = episode_create(
        show=show,
        actor=host,
        title="Ninety seconds of Opus",
        audio=SimpleUploadedFile("long.opus", ogg_audio("opus", 90.0)),
        status=Episode.Status.PUBLISHED,
        publish_at=datetime.now(UTC) - timedelta(days=1),
    )
    size = episode.audio.size
    with episode.audio.open("rb") as handle:
        header = header_bytes(handle)
    threshold = download_threshold(episode, size)
    assert header > embedded_cover_bytes(episode.audio.path) > 1_000  # the cover is in the header
    assert threshold == header + episode.audio_bitrate * 60 // 8 < size

    def get(range_: str):
        response = client.get(episode.get_audio_url(), HTTP_RANGE=range_, HTTP_USER_AGENT=APPLE)
        b"".join(response.streaming_content)
        return response

    assert get("bytes=0-1").status_code == 206
    assert get(f"bytes=0-{threshold - 2}").status_code == 206  # the header and not quite a minute
    assert Download.objects.count() == 0
    assert get(f"bytes={threshold - 1}-").status_code == 206
    assert Download.objects.get().app == "Apple Podcasts"
    assert DailyEpisodeDownloads.objects.get().count == 1


# --- the importer ----------------------------------------------------------------------------------


OPUS_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>Open Airway</title>
  <description>Airway talks, in Opus.</description>
  <language>en</language>
  <itunes:owner><itunes:email>owner@example.org</itunes:email></itunes:owner>
  <item>
    <title>Opus one</title>
    <guid isPermaLink="false">open-airway-1</guid>
    <pubDate>Mon, 06 Jan 2025 08:00:00 GMT</pubDate>
    <enclosure url="{base}/media/one.opus" length="{opus_length}" type="audio/opus"/>
  </item>
  <item>
    <title>Vorbis two</title>
    <guid isPermaLink="false">open-airway-2</guid>
    <pubDate>Mon, 13 Jan 2025 08:00:00 GMT</pubDate>
    <enclosure url="{base}/media/two.oga" length="{ogg_length}" type="application/ogg"/>
  </item>
  <item>
    <title>Cut off</title>
    <guid isPermaLink="false">open-airway-3</guid>
    <pubDate>Mon, 20 Jan 2025 08:00:00 GMT</pubDate>
    <enclosure url="{base}/media/three.opus" length="2000" type="audio/ogg; codecs=opus"/>
  </item>
</channel>
</rss>
"""


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_an_import_brings_opus_and_vorbis_enclosures_and_refuses_a_truncated_one(server, settings):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    opus, vorbis = ogg_audio("opus"), ogg_audio("ogg")
    server.add("/media/one.opus", opus, "audio/ogg")
    server.add("/media/two.oga", vorbis, "application/ogg")
    server.add("/media/three.opus", opus[:2000], "audio/ogg")
    body = OPUS_FEED.format(base=server.base, opus_length=len(opus), ogg_length=len(vorbis))
    url = server.add("/feed.xml", body.encode(), "application/rss+xml")

    result = import_feed(url, timeout=5)

    assert sorted(result.imported) == ["open-airway-1", "open-airway-2"]
    assert [guid for guid, _reason in result.failed] == ["open-airway-3"]
    assert "The Ogg file seems truncated" in dict(result.failed)["open-airway-3"]
    one = Episode.objects.get(guid="open-airway-1")
    two = Episode.objects.get(guid="open-airway-2")
    assert (one.audio_mime, one.audio.name[-5:]) == ("audio/ogg; codecs=opus", ".opus")
    assert (two.audio_mime, two.audio.name[-4:]) == ("audio/ogg; codecs=vorbis", ".ogg")
    assert isinstance(mutagen.File(one.audio.path), OggOpus) and mutagen.File(one.audio.path)["title"] == [
        "Opus one"
    ]
    notes = result.report()["episodes"]["notes"]
    assert notes == [
        "Opus one: Opus audio, published as it is (.opus, audio/ogg). "
        "Apple Podcasts leaves Ogg episodes out; other apps play them.",
        "Vorbis two: Ogg Vorbis audio, published as it is (.ogg, audio/ogg). "
        "Apple Podcasts leaves Ogg episodes out; other apps play them.",
    ]
    # The new feed publishes them as audio/ogg with their true lengths.
    parsed = podcastparser.parse(result.show.feed_url, io.BytesIO(build_feed(result.show)))
    enclosures = {e["guid"]: e["enclosures"][0] for e in parsed["episodes"]}
    assert enclosures["open-airway-1"]["mime_type"] == "audio/ogg"
    assert enclosures["open-airway-1"]["url"].endswith(f"/audio/{one.pk}/{one.slug}.opus")
    assert enclosures["open-airway-1"]["file_size"] == one.audio.size
    assert enclosures["open-airway-2"]["url"].endswith(f"/audio/{two.pk}/{two.slug}.ogg")


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_flac_enclosures_are_still_refused_without_a_download(server, settings):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True
    feed = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        "<channel><title>Lossless</title><itunes:owner><itunes:email>a@example.org</itunes:email>"
        "</itunes:owner><item><title>One</title><guid>flac-1</guid>"
        f'<enclosure url="{server.url("/one.flac")}" type="audio/flac" length="10"/></item></channel></rss>'
    )
    result = import_feed(server.add("/feed.xml", feed.encode(), "application/rss+xml"), timeout=5)
    assert result.failed == [
        (
            "flac-1",
            "audio/flac audio is not imported: podcastcme publishes MP3, M4A (AAC), Ogg Vorbis and Opus.",
        )
    ]


# --- personal feeds ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_a_personal_feed_carries_the_opus_enclosure_and_serves_it_with_ranges(client, learner, host, show):
    episode = episode_create(
        show=show,
        actor=host,
        title="Opus for one listener",
        audio=SimpleUploadedFile("a.opus", ogg_audio("opus")),
        status=Episode.Status.PUBLISHED,
        publish_at=datetime.now(UTC) - timedelta(days=1),
    )
    feed_url = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    assert feed_url is not None
    response = client.get(feed_url.removeprefix(settings.SITE_URL), HTTP_USER_AGENT=APPLE)
    enclosure = podcastparser.parse(feed_url, io.BytesIO(response.content))["episodes"][0]["enclosures"][0]
    assert enclosure["mime_type"] == "audio/ogg" and enclosure["file_size"] == episode.audio.size
    assert enclosure["url"].endswith(f"/audio/{episode.pk}/{episode.slug}.opus") and "/p/" in enclosure["url"]
    probe = client.get(enclosure["url"].removeprefix(settings.SITE_URL), HTTP_RANGE="bytes=0-1")
    assert probe.status_code == 206 and probe["Content-Type"] == "audio/ogg; codecs=opus"
    assert b"".join(probe.streaming_content) == b"Og"


# --- at the edge: real nginx (deploy/nginx/) in front of a real gunicorn ----------------------------


EDGE_KEY = "edge-test-signing-key"


@pytest.fixture
def edge_nginx(request, tmp_path, settings):
    """nginx with deploy/nginx/ before gunicorn, the link tree and signed links on (as test_edge_audio.py)."""
    root = tmp_path / "edge"
    root.mkdir()
    settings.PODCASTCME_EDGE_AUDIO_ROOT = str(root)
    settings.PODCASTCME_EDGE_SIGNING_KEY = EDGE_KEY
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    extra = (
        f"PODCASTCME_EDGE_AUDIO_ROOT = {str(root)!r}\nPODCASTCME_EDGE_SIGNING_KEY = {EDGE_KEY!r}\n"
        "PODCASTCME_COUNT_BUFFER_SECONDS = 0\n"
    )
    with (
        shared_database(request, tmp_path) as database_url,
        gunicorn(database_url, tmp_path, extra_settings=extra) as app,
        repo_nginx(
            tmp_path / "nginx",
            app_port=app.port,
            media_root=Path(settings.MEDIA_ROOT),
            edge_root=root,
            signing_key=EDGE_KEY,
        ) as nginx,
    ):
        yield nginx


def edge_fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Host": "localhost", **headers})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def upstream_of(nginx: Nginx, path: str) -> str:
    """Who answered the last request for ``path``, from nginx's JSON log ("" when nginx itself)."""
    deadline = time.monotonic() + 5
    while True:
        time.sleep(0.3)  # nginx writes the audio log lines at most a second apart (flush=1s)
        lines = [json.loads(line) for line in nginx.access_log.read_text().splitlines() if line]
        found = [line for line in lines if line["uri"] == path]
        if found or time.monotonic() > deadline:
            assert found, f"no log line for {path}"
            return found[-1]["upstream"]


@pytest.mark.django_db(transaction=True)
def test_nginx_serves_public_and_personal_opus_audio_with_ranges(edge_nginx):
    show = factories.make_show()
    episode = episode_create(
        show=show,
        actor=None,
        title="Opus at the edge",
        audio=SimpleUploadedFile("a.opus", ogg_audio("opus", 20.0)),
        status=Episode.Status.PUBLISHED,
        publish_at=datetime.now(UTC) - timedelta(days=1),
    )
    url = episode.get_audio_url()
    status, _headers, body = edge_fetch(edge_nginx.port, url, {"Range": "bytes=0-1", "User-Agent": APPLE})
    assert (status, body) == (206, b"Og")  # the app answers and makes the link
    status, headers, body = edge_fetch(edge_nginx.port, url, {"Range": "bytes=2-3", "User-Agent": APPLE})
    assert status == 206 and headers["content-type"] == "audio/ogg; codecs=opus"
    assert headers["content-disposition"] == f'inline; filename="{episode.slug}.opus"'
    assert upstream_of(edge_nginx, url) == ""  # nginx sent the bytes itself, from the link tree

    learner = factories.make_user("opus-listener@example.org")
    token = personal_feed_token(personal_feed_get_or_create(user=learner, show=show))
    stable = reverse("episodes:personal_audio", args=[token, episode.pk, episode.slug, "opus"])
    status, headers, _body = edge_fetch(edge_nginx.port, stable, {"Range": "bytes=0-1", "User-Agent": APPLE})
    assert status == 302  # to a signed link nginx checks and serves
    signed = urlsplit(headers["location"]).path
    status, headers, body = edge_fetch(edge_nginx.port, signed, {"Range": "bytes=0-1", "User-Agent": APPLE})
    assert status == 206 and headers["content-range"] == f"bytes 0-1/{episode.audio.size}" and body == b"Og"
    assert headers["content-type"] == "audio/ogg; codecs=opus"
    assert upstream_of(edge_nginx, signed) == ""
    status, _headers, body = edge_fetch(edge_nginx.port, signed, {"User-Agent": APPLE})
    assert (status, len(body)) == (200, episode.audio.size)

    # nginx's log of the .opus requests counts like the app's own: the whole file is the listener's download.
    time.sleep(1.2)  # the last line is in nginx's log buffer for up to a second (flush=1s)
    result = ingest([edge_nginx.access_log])
    whole = DownloadRequest.objects.get(episode=episode, user=learner, status=200)
    assert (whole.range_start, whole.range_end) == (0, episode.audio.size - 1)
    assert result.counted == 1 and Download.objects.get(episode=episode).user == learner
