"""manage.py import_feed against feeds served by a local HTTP server, with real audio and artwork."""

import io
import os
import re
import socket
import time
from datetime import UTC, datetime

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from episodes import feeds, services
from episodes.importer import ImportProgress, import_feed
from episodes.models import Episode, Show, ShowHost
from testkit.feed_host import AUDIO_PATHS, GUIDS, OTHER_HOST_FEED, serve_other_host_feed
from testkit.media import make_artwork, make_audio

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    # The feeds here are served on 127.0.0.1, which the importer refuses unless told otherwise.
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True


def _files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def _assert_nothing_written(media_root, shows: int = 0) -> None:
    assert Show.objects.count() == shows
    assert Episode.objects.count() == 0
    assert _files(media_root) == []


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_feed", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        _run(*args)
    return str(error.value)


# --- A feed as another host writes it (Buzzsprout/Libsyn/Anchor habits) ---------------------------


def test_import_from_another_host_keeps_guids_dates_durations_and_show_fields(server, make_user, media_root):
    host = make_user("sam@example.org")
    url = serve_other_host_feed(server)

    out, err = _run(url, "--host", "sam@example.org", "--timeout", "5")

    show = Show.objects.get()
    assert show.slug == "the-night-shift-anaesthesia-icu"
    assert show.title == "The Night Shift: Anaesthesia & ICU"
    assert show.author == "Dr. Sam Okafor"
    assert (show.owner_name, show.owner_email) == ("Night Shift Media", "hello@nightshift.example.com")
    assert show.language == "en-us"
    assert show.show_type == "serial"
    assert show.explicit is False
    assert show.website == "https://nightshift.example.com"
    assert show.copyright == "© 2025 Night Shift Media"
    assert (show.category, show.subcategory) == ("Health & Fitness", "Medicine")
    assert show.description.startswith("Real cases from the night shift, told by the people")
    assert "<p>" not in show.description
    assert ShowHost.objects.filter(show=show, user=host).exists()
    with Image.open(show.artwork.path) as image:
        assert (image.format, image.size) == ("JPEG", (1400, 1400))

    episodes = {episode.guid: episode for episode in show.episodes.all()}
    assert sorted(episodes) == sorted(GUIDS)  # the guids are kept exactly: apps do not re-download
    cico = episodes["Buzzsprout-15012345"]
    assert cico.title == "Ep. 12: The Cannot-Intubate Night"
    assert cico.publish_at == datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
    assert cico.status == Episode.Status.PUBLISHED and cico.is_public
    assert (cico.season, cico.number, cico.episode_type, cico.explicit) == (2, 12, "full", True)
    assert cico.audio_duration == pytest.approx(3.0, abs=0.15)
    assert cico.audio_mime == "audio/mpeg" and cico.audio.name.endswith(".mp3")
    assert "<strong>CICO</strong>" in cico.notes_html and "<li>Front of neck access</li>" in cico.notes_html
    assert "<script" not in cico.notes_html
    trailer = episodes["a3f1c2de-77b0-4a6e-9d0c-2b1e5f0c9a11"]
    assert trailer.publish_at == datetime(2025, 2, 18, 12, 30, tzinfo=UTC)
    assert (trailer.episode_type, trailer.season, trailer.number) == ("trailer", 2, None)
    assert trailer.audio_mime == "audio/mp4" and trailer.audio.name.endswith(".m4a")
    assert trailer.audio_duration == pytest.approx(2.0, abs=0.15)
    assert "Plain text notes, no markup at all &amp; an ampersand." in trailer.notes_html
    ep11 = episodes["https://nightshift.example.com/episodes/11"]
    assert ep11.explicit is False  # no itunes:explicit on the item: the show's value
    assert 'href="https://example.org/ref"' in ep11.notes_html
    for episode in episodes.values():  # stored, measured and tagged like an upload
        assert os.path.getsize(episode.audio.path) == episode.audio_size
        assert episode.audio_bitrate > 0

    assert "3 imported, 0 skipped (already there), 0 failed" in out
    assert "1 item without an audio enclosure was left out" in err
    assert "[1/3]" in err and "[3/3]" in err and "100%" in err and "#" * 30 in err  # the progress bar
    assert AuditEvent.objects.filter(action="show.imported", object_id=str(show.pk)).exists()


@pytest.mark.parametrize(
    ("category", "subcategory", "expected"),
    [
        ("Science &amp; Medicine", "Medicine", ("Health & Fitness", "Medicine")),  # Apple's retired name
        ("Science", "Life Sciences", ("Science", "Life Sciences")),
        ("Education", "", ("Education", "")),
        ("Podcasts About Stuff", "", ("Health & Fitness", "Medicine")),  # unknown: our default
    ],
)
def test_category_is_mapped_to_apples_current_list(server, category, subcategory, expected):
    url = serve_other_host_feed(server, category=category, subcategory=subcategory)
    _, err = _run(url, "--owner-email", "hello@nightshift.example.com", "--timeout", "5")
    show = Show.objects.get()
    assert (show.category, show.subcategory) == expected
    assert ("is not in Apple's list" in err) == (category == "Podcasts About Stuff")


def test_import_from_a_local_file(server, tmp_path):
    url = serve_other_host_feed(server)
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes(server.routes["/rss/night-shift.rss"][2])

    out, _ = _run(str(feed_file), "--show", "night-shift", "--owner-email", "me@example.org")

    assert url.endswith(".rss")
    show = Show.objects.get(slug="night-shift")
    assert sorted(show.episodes.values_list("guid", flat=True)) == sorted(GUIDS)
    assert "3 imported" in out


def test_running_again_imports_nothing_new(server):
    url = serve_other_host_feed(server)
    _run(url, "--timeout", "5")
    first = {episode.guid: (episode.pk, episode.audio.name) for episode in Episode.objects.all()}

    out, err = _run(url, "--timeout", "5")

    assert "0 imported, 3 skipped (already there), 0 failed" in out
    assert "Resumed into" in out
    assert Show.objects.count() == 1
    assert {episode.guid: (episode.pk, episode.audio.name) for episode in Episode.objects.all()} == first
    assert err.count("skipped (already there)") == 3


def test_audio_failing_half_way_keeps_the_others_and_a_second_run_imports_the_rest(server):
    missing = "/media/trailer-s2.m4a"
    url = serve_other_host_feed(server, skip_audio=missing)

    message = _refused(url, "--timeout", "5")

    assert message.startswith("2 imported, 0 skipped (already there), 1 failed: ")
    assert "a3f1c2de-77b0-4a6e-9d0c-2b1e5f0c9a11" in message and "HTTP 404" in message
    assert set(Episode.objects.values_list("guid", flat=True)) == {GUIDS[0], GUIDS[2]}

    kind, seconds = AUDIO_PATHS[missing]
    server.add(missing, make_audio(seconds, kind).read_bytes(), "audio/mp4")  # the old host recovers
    out, _ = _run(url, "--timeout", "5")

    assert "1 imported, 2 skipped (already there), 0 failed" in out
    assert sorted(Episode.objects.values_list("guid", flat=True)) == sorted(GUIDS)
    assert Show.objects.count() == 1


def test_a_feed_cannot_make_the_importer_read_local_files(server, media_root):
    url = serve_other_host_feed(server)
    body = server.routes["/rss/night-shift.rss"][2].replace(
        f"{server.base}/media/ep11.mp3".encode(), b"file:///etc/passwd"
    )
    server.add("/rss/night-shift.rss", body, "application/rss+xml")

    message = _refused(url, "--timeout", "5")

    assert "1 failed: https://nightshift.example.com/episodes/11 Only http and https" in message
    assert Episode.objects.count() == 2
    assert not any(b"root:" in path.read_bytes() for path in _files(media_root))


@pytest.mark.parametrize(
    ("artwork", "served", "warning"),
    [
        (b"<html>not an image</html>", True, "not an image we can read"),
        (make_artwork(1400, fmt="PNG")[:120], True, "damaged or truncated"),
        (make_artwork(100), True, "too small to make podcast artwork from"),
        (b"", False, "HTTP 404"),
    ],
    ids=["not-an-image", "truncated-png", "favicon-sized", "missing"],
)
def test_artwork_we_cannot_open_is_left_out_with_a_warning(server, artwork, served, warning):
    url = serve_other_host_feed(server, artwork=artwork)
    if not served:
        del server.routes["/artwork/show-1400.jpg"]

    out, err = _run(url, "--timeout", "5")

    show = Show.objects.get()
    assert not show.artwork
    assert "Artwork not imported" in err and warning in err
    assert "show_artwork: 0 imported, 1 dropped" in out and warning in out
    assert show.episodes.count() == 3 and "3 imported" in out


@pytest.mark.parametrize(
    ("artwork", "reason"),
    [
        (make_artwork(600), "scaled from 600 to 1400 pixels"),
        (make_artwork(1400, height=1000), "padded from 1400 × 1000 to a square"),
        (make_artwork(1400, fmt="PNG", mode="RGBA"), "converted from RGBA PNG to an RGB JPEG"),
        (make_artwork(1400, mode="CMYK"), "converted from CMYK JPEG to an RGB JPEG"),
    ],
    ids=["600px", "not-square", "rgba-png", "cmyk-jpeg"],
)
def test_artwork_apple_refuses_is_stored_like_an_upload_and_reported(server, artwork, reason):
    # Stored through the same path a host's upload takes (which makes the renditions Apple takes).
    url = serve_other_host_feed(server, artwork=artwork)

    out, _err = _run(url, "--timeout", "5")

    show = Show.objects.get()
    assert show.artwork and show.artwork.read() == artwork  # the original, as it came
    assert show.artwork_renditions  # the feed publishes a conforming JPEG made from it
    assert "show_artwork: 1 imported" in out and reason in out


# --- A feed built by our own feed code ---------------------------------------------------------


def test_import_of_a_feed_built_by_podcastcme(server, settings, media_root):
    settings.SITE_URL = server.base  # the feed's enclosure and artwork URLs point at the test server
    source = services.show_create(
        host=None,
        data={
            "title": "Airway Rounds",
            "slug": "airway-rounds",
            "description": "Short cases in airway management.",
            "author": "Society of Testing",
            "owner_name": "Society of Testing",
            "owner_email": "podcast@example.org",
            "category": "Science",
            "subcategory": "Life Sciences",
            "show_type": "episodic",
            "artwork": ContentFile(make_artwork(1400, fmt="PNG"), name="cover.png"),
        },
    )
    originals = []
    for index, (kind, seconds) in enumerate([("mp3", 2.0), ("m4a", 3.0)], start=1):
        with open(make_audio(seconds, kind), "rb") as handle:
            originals.append(
                services.episode_create(
                    show=source,
                    actor=None,
                    title=f"Case {index}: the *difficult* airway",
                    audio=File(handle, name=f"upload.{kind}"),
                    notes=f"Notes for **case {index}**.",
                    status=Episode.Status.PUBLISHED,
                    publish_at=datetime(2025, 1, index, 8, 0, tzinfo=UTC),
                    season=1,
                    number=index,
                )
            )
    for episode in originals:
        with episode.audio.open("rb") as handle:
            server.add(episode.get_audio_url(), handle.read(), episode.audio_mime)
    built = feeds.build_feed(source)
    for cover in set(re.findall(rb'<itunes:image href="([^"]+)"', built)):  # the feed's rendition
        path = cover.decode().removeprefix(server.base)
        server.add(path, Client().get(path).getvalue(), "image/jpeg")
    url = server.add("/ours/feed.xml", built, "application/rss+xml")

    # Our own feeds say podcast:locked yes with the owner's email: only the owner may move them.
    assert "locked" in _refused(url, "--show", "airway-rounds-moved")
    out, _ = _run(
        url, "--show", "airway-rounds-moved", "--owner-email", "Podcast@Example.org", "--timeout", "5"
    )

    moved = Show.objects.get(slug="airway-rounds-moved")
    assert (moved.title, moved.category, moved.subcategory) == ("Airway Rounds", "Science", "Life Sciences")
    assert moved.artwork.name.endswith(".jpg")  # the feed publishes the JPEG rendition
    imported = {episode.guid: episode for episode in moved.episodes.all()}
    assert set(imported) == {episode.guid for episode in originals}
    for original in originals:
        copy = imported[original.guid]
        assert (copy.title, copy.season, copy.number) == (original.title, 1, original.number)
        assert copy.publish_at == original.publish_at
        assert copy.audio_mime == original.audio_mime
        assert copy.audio_duration == pytest.approx(original.audio_duration, abs=0.1)
        assert f"<strong>case {original.number}</strong>" in copy.notes_html
    assert "2 imported, 0 skipped (already there), 0 failed" in out
    assert "1. On the old podcastcme site, open the show's page for hosts (“Move this show away”)" in out
    # Same site: the source's podcast:guid is taken, so the copy gets its own (said, not silent).
    assert f"{source.podcast_guid} is already the podcast:guid of the show “airway-rounds”" in out
    assert moved.podcast_guid not in (None, source.podcast_guid)


# --- Refused feeds: a clear message and nothing written ----------------------------------------


def test_feed_404_is_a_clear_error(server, media_root):
    message = _refused(server.url("/gone.rss"), "--timeout", "2")
    assert "answered HTTP 404" in message
    _assert_nothing_written(media_root)


def test_feed_timeout_is_a_clear_error(server, media_root):
    url = server.add("/slow.rss", b"<rss/>", "application/rss+xml", delay=1.5)
    started = time.monotonic()
    message = _refused(url, "--timeout", "0.3")
    assert time.monotonic() - started < 1.2
    assert "No answer from" in message and "within 0.3 seconds (timed out)" in message
    _assert_nothing_written(media_root)


def test_audio_timeout_fails_that_episode_only(server):
    url = serve_other_host_feed(server)
    path = "/media/ep11.mp3"
    status, content_type, body, _ = server.routes[path]
    server.routes[path] = (status, content_type, body, 1.5)

    message = _refused(url, "--timeout", "0.3")

    assert "2 imported" in message and f"{GUIDS[2]} No answer from" in message and "timed out" in message


def test_connection_refused_is_a_clear_error(media_root):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message = _refused(f"http://127.0.0.1:{port}/feed.rss", "--timeout", "2")
    assert "Connection refused by 127.0.0.1" in message
    _assert_nothing_written(media_root)


def test_missing_local_file_is_a_clear_error(tmp_path, media_root):
    message = _refused(str(tmp_path / "nowhere.xml"))
    assert "No such file" in message
    _assert_nothing_written(media_root)


def test_a_feed_larger_than_the_limit_is_refused(server, tmp_path, settings, media_root):
    # The limit is read per import (it used to be copied at import time, out of settings' reach).
    settings.PODCASTCME_IMPORT_MAX_FEED_BYTES = 1000
    serve_other_host_feed(server)
    feed_file = tmp_path / "feed.xml"  # the feed test_import_from_a_local_file imports whole
    feed_file.write_bytes(server.routes["/rss/night-shift.rss"][2])
    assert feed_file.stat().st_size > 1000

    message = _refused(str(feed_file), "--show", "night-shift", "--owner-email", "me@example.org")

    assert "is too large to be a podcast feed" in message
    assert not Show.objects.exists()
    _assert_nothing_written(media_root)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Shop</title></head><body>Hi", "HTML page"),
        (b"<html><body><p>Well-formed, still a web page</p></body></html>", "HTML page"),
        (bytes(range(256)) * 8, "not XML"),
        (b"", "The feed is empty"),
        (b'{"title": "a JSON feed"}', "not XML"),
    ],
    ids=["html", "xhtml", "random-bytes", "empty", "json"],
)
def test_not_xml_is_refused(server, media_root, body, expected):
    url = server.add("/feed", body, "text/html")
    message = _refused(url, "--timeout", "2")
    assert expected in message
    _assert_nothing_written(media_root)


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A blog</title><id>urn:uuid:1</id>
<updated>2025-01-01T00:00:00Z</updated><entry><title>Post</title><id>urn:uuid:2</id>
<updated>2025-01-01T00:00:00Z</updated><link href="https://example.org/post"/></entry></feed>"""
RSS_NO_ITEMS = b"""<?xml version="1.0"?><rss version="2.0"
 xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Soon</title>
<link>https://example.org</link><description>Nothing yet</description></channel></rss>"""
RSS_NO_AUDIO = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<link>https://example.org</link><description>Text</description>
<item><title>Post</title><guid>1</guid><link>https://example.org/1</link></item>
<item><title>Video</title><guid>2</guid>
<enclosure url="https://example.org/v.mp4" length="9" type="video/mp4"/></item>
</channel></rss>"""
RSS_NO_CHANNEL = b"""<?xml version="1.0"?><rss version="2.0"><item><title>Lost</title></item></rss>"""
SITEMAP = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://example.org/</loc></url></urlset>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (ATOM, "This is an Atom feed, not a podcast"),
        (RSS_NO_ITEMS, "This feed has no episodes"),
        (RSS_NO_AUDIO, "None of the 2 items of this feed has an audio enclosure"),
        (RSS_NO_CHANNEL, "has no <channel>"),
        (SITEMAP, "its root element is <urlset>"),
    ],
    ids=["atom", "rss-without-items", "rss-without-audio", "rss-without-channel", "sitemap"],
)
def test_xml_that_is_not_a_podcast_is_refused(server, media_root, body, expected):
    url = server.add("/feed.xml", body, "application/xml")
    message = _refused(url, "--timeout", "2")
    assert expected in message
    _assert_nothing_written(media_root)


LOCKED = '<podcast:locked owner="Owner@Example.org">yes</podcast:locked>'


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "This feed is locked (podcast:locked is yes)"),
        (("--owner-email", "thief@example.org"), "thief@example.org is not its owner's email"),
    ],
    ids=["no-owner-email", "wrong-owner-email"],
)
def test_locked_feed_is_refused_without_the_owners_email(server, media_root, args, expected):
    url = serve_other_host_feed(server, locked=LOCKED)
    message = _refused(url, *args, "--timeout", "2")
    assert expected in message
    _assert_nothing_written(media_root)


@pytest.mark.parametrize("email", ["owner@example.org", "HELLO@nightshift.example.com"])
def test_locked_feed_is_imported_with_the_owners_email(server, email):
    # Either the podcast:locked owner or the itunes:owner email proves ownership, in any case.
    url = serve_other_host_feed(server, locked=LOCKED)
    out, _ = _run(url, "--owner-email", email, "--timeout", "5")
    assert "3 imported" in out
    assert Show.objects.get().episodes.count() == 3


def test_unknown_host_is_refused(server, media_root):
    url = serve_other_host_feed(server)
    message = _refused(url, "--host", "nobody@example.org")
    assert "No user with the email nobody@example.org" in message
    _assert_nothing_written(media_root)


def test_an_unrelated_show_with_the_same_slug_is_not_imported_into(server, show, media_root):
    body = OTHER_HOST_FEED.replace("The Night Shift: Anaesthesia &amp; ICU", "Airway Rounds")
    serve_other_host_feed(server)
    url = server.add("/rss/airway.rss", body.format(
        base=server.base, category="Science", subcategory="", locked="", len12=1, len_trailer=1, len11=1
    ).encode())  # fmt: skip

    message = _refused(url, "--timeout", "2")

    assert "A show with the slug “airway-rounds” already exists" in message
    _assert_nothing_written(media_root, shows=1)


def test_import_into_a_show_of_another_host_is_refused(server, show, host, make_user, media_root):
    make_user("intruder@example.org")
    url = serve_other_host_feed(server)
    message = _refused(url, "--show", show.slug, "--host", "intruder@example.org")
    assert "is not one of its hosts" in message
    _assert_nothing_written(media_root, shows=1)


@pytest.mark.parametrize("timeout", ["0", "-1"])
def test_timeout_must_be_positive(server, media_root, timeout):
    url = serve_other_host_feed(server)
    assert "--timeout must be a positive number" in _refused(url, "--timeout", timeout)
    _assert_nothing_written(media_root)


def test_import_from_code_reports_progress_and_counts(server):
    class Recorder(ImportProgress):
        def __init__(self):
            self.events = []

        def episode_started(self, index, total, title):
            self.events.append(("start", index, total))

        def bytes_downloaded(self, done, total):
            self.events.append(("bytes", done, total))

        def episode_finished(self, outcome, detail=""):
            self.events.append(("end", outcome))

    url = serve_other_host_feed(server, skip_audio="/media/ep11.mp3")
    recorder = Recorder()

    result = import_feed(url, show_slug="night", timeout=5, progress=recorder)

    assert (result.created_show, result.show.slug) == (True, "night")
    assert sorted(result.imported) == sorted(GUIDS[:2])
    assert result.failed and result.failed[0][0] == GUIDS[2] and not result.ok
    assert [event for event in recorder.events if event[0] != "bytes"] == [
        ("start", 1, 3), ("end", "failed"),  # ep11 is the oldest: imported first, its audio is gone
        ("start", 2, 3), ("end", "imported"),
        ("start", 3, 3), ("end", "imported"),
    ]  # fmt: skip
    sizes = {make_audio(seconds, kind).stat().st_size for kind, seconds in AUDIO_PATHS.values()}
    finals = [event[1] for event in recorder.events if event[0] == "bytes" and event[1] == event[2]]
    assert set(finals) <= sizes and len(finals) == 2  # every byte of each file counted, once complete
