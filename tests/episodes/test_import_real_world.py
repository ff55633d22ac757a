"""import_feed over feeds shaped like the hosts shows move from (tests/episodes/import_feeds/).

Each feed is served on 127.0.0.1 with real audio (ffmpeg), generated artwork in the shapes Apple
refuses, transcripts and chapters, and each import's per-field summary is compared with the
expected one kept next to the feed (``<feed>.expected.json``; ``{base}`` stands for the server).
"""

import functools
import gzip
import io
import json
import os
import subprocess
import tempfile
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import podcastparser
import pytest
from django.core.management import call_command
from PIL import Image

from episodes import feeds
from episodes.importer import FeedImportError, import_feed, parse_feed
from episodes.models import Episode, NotesFormat, Show
from episodes.services import episode_update
from testkit.media import make_artwork, make_audio

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

FEEDS = Path(__file__).parent / "import_feeds"
# Set to write the expected summaries from a run (then read every line before committing them).
WRITE_EXPECTED = os.environ.get("IMPORT_FEEDS_WRITE_EXPECTED") == "1"


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    settings.PODCASTCME_IMPORT_ALLOW_LOOPBACK = True


class Host:
    """Another host on 127.0.0.1: fixed answers with any headers (gzip, redirects)."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Accept-Encoding)
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append((self.path, self.headers.get("Accept-Encoding", "")))
                status, headers, body = routes.get(
                    self.path, (404, {"Content-Type": "text/plain"}, b"Not found")
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream", **headers) -> str:
        self.routes[path] = (200, {"Content-Type": content_type, **headers}, body)
        return self.base + path

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        self.routes[path] = (status, {"Location": to}, b"")
        return self.base + path

    def feed(self, path: str, name: str, media: dict[str, bytes], *, gzipped: bool = False) -> str:
        text = (FEEDS / name).read_text().replace("{base}", self.base)
        for key, body in media.items():
            text = text.replace("{len:" + key + "}", str(len(body)))
        body = text.encode()
        if gzipped:  # sent compressed although the importer never asked for it
            return self.add(path, gzip.compress(body), "application/rss+xml", **{"Content-Encoding": "gzip"})
        return self.add(path, body, "application/rss+xml; charset=utf-8")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def host():
    other = Host()
    yield other
    other.stop()


@functools.cache
def _ogg_opus() -> bytes:
    out = Path(tempfile.mkdtemp(prefix="podcastcme-test-ogg-")) / "tone.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "sine=frequency=440:duration=1", "-ac", "1", "-c:a", "libopus", "-b:a", "24k", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def _mp3() -> bytes:
    return make_audio(1.0, "mp3").read_bytes()


def _m4a() -> bytes:
    return make_audio(1.0, "m4a").read_bytes()


def _webp(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "#aa3300").save(buffer, format="WEBP")
    return buffer.getvalue()


VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:00.900\n<v Amy>Hello and welcome.\n"
SRT = b"1\n00:00:00,000 --> 00:00:00,900\nHello and welcome.\n"
CHAPTERS = json.dumps({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Start"}]}).encode()


def _summary(result, host: Host, name: str) -> None:
    """The import's per-field summary equals the expected one kept next to the feed."""
    got = json.loads(json.dumps(result.report(), ensure_ascii=False).replace(host.base, "{base}"))
    expected_file = FEEDS / f"{name}.expected.json"
    if WRITE_EXPECTED:
        expected_file.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert got == json.loads(expected_file.read_text())


def _episodes(show: Show) -> dict[str, Episode]:
    return {episode.guid: episode for episode in show.episodes.all()}


# --- Libsyn: gzip sent unasked, 600 px artwork, HTML notes, episode 0 -----------------------------


def test_libsyn(host):
    media = {"a1.mp3": _mp3(), "a2.mp3": _mp3()}
    host.add("/libsyn/media/a1.mp3?dest-id=1", media["a1.mp3"], "audio/mpeg")
    host.add("/libsyn/media/a2.mp3", media["a2.mp3"], "audio/mpeg")
    host.add("/libsyn/cover-600.jpg", make_artwork(600), "image/jpeg")
    host.add("/libsyn/a1.vtt", VTT, "text/vtt")
    url = host.feed("/libsyn/rss", "libsyn.xml", media, gzipped=True)

    result = import_feed(url, timeout=5)

    show = result.show
    assert str(show.podcast_guid) == "2f6b2a50-5a3b-5a2c-9d31-7c1d1f8b1c11"  # kept, not computed
    assert (show.funding_url, show.funding_label) == (
        "https://grandrounds.example.org/donate",
        "Support Grand Rounds",
    )
    assert show.artwork and show.artwork_renditions  # 600 px stored; the feed's cover is made from it
    episodes = _episodes(show)
    sepsis = episodes["8d9c1c7e-1111-4c2a-9e00-000000000042"]
    assert sepsis.notes_format == NotesFormat.HTML
    # Indented HTML is not a Markdown code block, and "#1 tip" is not a heading.
    assert "<pre>" not in sepsis.notes_html and "<code>" not in sepsis.notes_html
    assert "<p>#1 tip: lactate twice.</p>" in sepsis.notes_html and "<h1>" not in sepsis.notes_html
    assert "<strong>hour-1 bundle</strong>" in sepsis.notes_html
    assert (sepsis.season, sepsis.number) == (3, 42)
    assert sepsis.transcript_type == Episode.TranscriptType.VTT and sepsis.transcript.read() == VTT
    assert sorted(topic.name for topic in sepsis.topics.all()) == ["ICU", "lactate", "sepsis"]
    trailer = episodes["8d9c1c7e-1111-4c2a-9e00-000000000000"]
    assert (trailer.episode_type, trailer.season, trailer.number) == ("trailer", 3, None)  # 0: dropped
    assert trailer.notes_format == NotesFormat.TEXT
    assert all("gzip" not in accept for _path, accept in host.requests)  # never asked for
    _summary(result, host, "libsyn")


# --- Anchor/Spotify: 301 and 308 chain, undeclared itunes: prefix, RGBA PNG, persons ---------------


def test_anchor(host):
    media = {"e1.m4a": _m4a()}
    host.add("/anchor/media/e1.m4a", media["e1.m4a"], "audio/x-m4a")
    host.add("/anchor/cover-rgba.png", make_artwork(1400, fmt="PNG", mode="RGBA"), "image/png")
    host.add("/anchor/ep1.png", make_artwork(1500, fmt="PNG", mode="RGBA"), "image/png")
    host.feed("/anchor/s/abc123/podcast/rss", "anchor.xml", media)
    host.redirect("/anchor/moved", host.base + "/anchor/s/abc123/podcast/rss", status=308)
    url = host.redirect("/anchor/old", "/anchor/moved", status=301)

    result = import_feed(url, timeout=5)

    show = result.show
    assert str(show.podcast_guid) != "not-a-uuid-at-all" and show.podcast_guid is not None
    assert show.author == "Dr. Lee & Dr. Park"  # itunes:author read although itunes: is undeclared
    (episode,) = show.episodes.all()
    assert episode.explicit is True and episode.number == 1
    assert episode.audio_mime == "audio/mp4"
    assert episode.artwork and episode.artwork.read() == host.routes["/anchor/ep1.png"][2]
    assert "2*3*4 is still 24" in episode.notes_html and "<em>" not in episode.notes_html
    assert "<iframe" not in episode.notes_html and "onerror" not in episode.notes_html
    persons = [(p.name, p.role, p.href, p.img) for p in episode.persons.all()]
    assert persons == [("Dr. Lee", "host", "https://example.org/lee", ""), ("Nurse Kim", "guest", "", "")]
    assert result.source_url == host.base + "/anchor/s/abc123/podcast/rss"
    _summary(result, host, "anchor")


def test_undeclared_prefix_feed_reads_as_podcastparser_reads_it(host):
    media = {"e1.m4a": _m4a()}
    url = host.feed("/anchor/s/abc123/podcast/rss", "anchor.xml", media)
    data = host.routes["/anchor/s/abc123/podcast/rss"][2]

    ours = parse_feed(data, url)
    theirs = podcastparser.parse(url, io.BytesIO(data))

    assert ours.undeclared_prefixes == ["itunes"]
    assert [entry.guid for entry in ours.entries] == [episode["guid"] for episode in theirs["episodes"]]
    assert [entry.audio_url for entry in ours.entries] == [
        episode["enclosures"][0]["url"] for episode in theirs["episodes"]
    ]
    assert ours.channel.title == theirs["title"]


# --- Buzzsprout: locked, CMYK artwork, several transcripts, chapters, persons, keywords ------------


def test_buzzsprout(host):
    media = {"k.mp3": _mp3()}
    host.add("/buzzsprout/123456/ketamine.mp3", media["k.mp3"], "audio/mpeg")
    host.add("/buzzsprout/artwork-cmyk.jpg", make_artwork(1400, mode="CMYK"), "image/jpeg")
    host.add("/buzzsprout/17000001/transcript", b"<html><p>Hello</p></html>", "text/html")
    host.add("/buzzsprout/17000001/transcript.json", b'{"segments": []}', "application/json")
    host.add("/buzzsprout/17000001/transcript.srt", SRT, "application/x-subrip")
    host.add("/buzzsprout/17000001/chapters.json", CHAPTERS, "application/json+chapters")
    url = host.feed("/buzzsprout/123456.rss", "buzzsprout.xml", media)

    with pytest.raises(FeedImportError, match="locked"):
        import_feed(url, timeout=5)
    assert Show.objects.count() == 0
    result = import_feed(url, timeout=5, owner_email="owner@pharm.example.org")

    show = result.show
    assert show.funding_url == "https://www.buzzsprout.com/123456/support"
    (episode,) = show.episodes.all()
    assert episode.transcript_type == Episode.TranscriptType.SRT and episode.transcript.read() == SRT
    assert episode.chapters.read() == CHAPTERS
    assert [(p.name, p.role) for p in episode.persons.all()] == [
        ("Amy Chen", "host"),
        ("Dr. Omar Haddad", "guest"),
    ]
    assert sorted(t.name for t in episode.topics.all()) == ["NMDA-receptor", "anaesthesia", "ketamine"]
    assert "<em>at the bedside</em>" in episode.notes_html and "<li>Pitfalls</li>" in episode.notes_html
    _summary(result, host, "buzzsprout")


# --- Podbean: relative enclosures, no pubDate, plain-text notes, Opus, odd artwork ------------------


def test_podbean(host):
    media = {"s.mp3": _mp3(), "u.mp3": make_audio(2.0, "mp3").read_bytes(), "f.ogg": _ogg_opus()}
    host.add("/podbean/mf/web/snakebite.mp3", media["s.mp3"], "audio/mpeg")
    host.add("/podbean/mf/web/undated.mp3", media["u.mp3"], "audio/mpeg")
    host.add("/podbean/mf/web/first.ogg", media["f.ogg"], "audio/ogg")
    host.add("/podbean/logo-wide.jpg", make_artwork(1400, height=1000), "image/jpeg")
    host.add("/podbean/ep-favicon.jpg", make_artwork(100), "image/jpeg")
    url = host.feed("/podbean/feed.xml", "podbean.xml", media)

    result = import_feed(url, timeout=5)

    episodes = _episodes(result.show)
    snake = episodes["ruralgp.podbean.com/snakebite-abc123"]
    assert snake.notes_format == NotesFormat.TEXT
    assert snake.notes.startswith("#1 tip: pressure bandage first.\n2*3*4 hours")  # as written
    assert snake.notes_html == (
        "<p>#1 tip: pressure bandage first.<br>2*3*4 hours of observation is not a rule.</p>"
        "<p>Listen to the end.</p>"
    )
    assert not snake.artwork  # 100 px: no cover can be made from it, reported
    assert sorted(t.name for t in snake.topics.all()) == ["Snake-bite", "Toxicology"]
    undated = episodes["ruralgp.podbean.com/undated-1"]
    assert undated.audio_duration == pytest.approx(2.0, abs=0.15)  # the relative URL was fetched
    # No pubDate: dated between its neighbours, so the feed keeps the order it had.
    assert datetime(2025, 5, 1, 11, 0, tzinfo=UTC) < undated.publish_at < snake.publish_at
    order = [e.guid for e in result.show.episodes.order_by("-publish_at")]
    assert order == [
        "ruralgp.podbean.com/snakebite-abc123",
        "ruralgp.podbean.com/undated-1",
        "ruralgp.podbean.com/first",
    ]
    assert result.failed == []
    first = episodes["ruralgp.podbean.com/first"]  # Opus in an Ogg file: imported as it is
    assert (first.audio_mime, first.audio_extension) == ("audio/ogg; codecs=opus", "opus")
    assert first.get_audio_url().endswith(".opus") and not first.apple_accepts_audio
    _summary(result, host, "podbean")


# --- Transistor: itunes:new-feed-url followed once, 3500 px cover, WebP episode art, complete -------


def test_transistor(host):
    media = {"t1.mp3": _mp3(), "t2.mp3": _mp3()}
    host.add("/transistor/media/strip.mp3", media["t2.mp3"], "audio/mpeg")
    host.add("/transistor/cover-3500.jpg", make_artwork(3500), "image/jpeg")
    host.add("/transistor/ep-strip.webp", _webp(1400), "image/webp")
    host.add("/transistor/strip/chapters.json", CHAPTERS, "application/json+chapters")
    host.add("/transistor/strip/transcript.vtt", VTT, "text/vtt")
    host.feed("/transistor/cardio-cases", "transistor.xml", media)
    old = host.feed("/transistor/old", "transistor-old.xml", media)

    result = import_feed(old, timeout=5)

    show = result.show
    assert show.title == "Cardiology Cases"  # the feed at the new address, not the old copy
    assert str(show.podcast_guid) == "c0ffee00-1234-5abc-8def-0123456789ab"
    assert show.complete is True and show.show_type == "serial"
    assert (show.funding_url, show.funding_label) == ("https://cardio.example.org/members", "Become a member")
    assert "/transistor/cardio-cases-2" not in [path for path, _accept in host.requests]  # once only
    (episode,) = show.episodes.all()
    assert (episode.episode_type, episode.season, episode.number) == ("bonus", 2, 5)
    assert episode.artwork.name.endswith(".png")  # WebP kept as PNG (the artwork code's rule)
    assert episode.chapters.read() == CHAPTERS and episode.transcript.read() == VTT
    assert "<pre>  PR 0.16 s</pre>" in episode.notes_html
    assert "Old copy" not in [e.title for e in show.episodes.all()]
    _summary(result, host, "transistor")


# --- Castopod: guid over 500 characters, Podlove chapters, unsafe links -----------------------------


def test_castopod(host, settings):
    media = {"c1.mp3": _mp3()}
    host.add("/castopod/audio/migraine.mp3", media["c1.mp3"], "audio/mpeg")
    host.add("/castopod/cover.png", make_artwork(1400, fmt="PNG"), "image/png")
    host.add("/castopod/migraine.vtt", VTT, "text/vtt")
    url = host.feed("/castopod/@neuro/feed.xml", "castopod.xml", media)
    original_guid = "https://castopod.example.org/@neuro/episodes/" + "a-very-long-slug-" * 30 + "end"

    result = import_feed(url, timeout=5)

    (episode,) = result.show.episodes.all()
    assert len(original_guid) > 500 and episode.source_guid == original_guid
    assert episode.guid.startswith("sha256:") and len(episode.guid) <= 500
    # The feed keeps publishing the original guid: apps do not download the episode again.
    assert f'<guid isPermaLink="false">{original_guid}</guid>' in feeds.build_feed(result.show).decode()
    chapters = json.loads(episode.chapters.read())
    assert chapters == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "title": "Introduction"},
            {"startTime": 0.5, "title": "Les anti-CGRP", "url": "https://example.fr/cgrp",
             "img": host.base + "/castopod/ch2.jpg"},
        ],
    }  # fmt: skip
    assert "javascript:" not in episode.notes_html and "&amp; les gépants" in episode.notes_html
    assert episode.number is None and episode.season == 1  # "-3" reported and dropped
    assert [(p.name, p.role) for p in episode.persons.all()] == [
        ("Marie Dubois", "host"),
        ("Paul Martin", "guest"),
    ]
    # Running again recognises the hashed guid: nothing is imported twice.
    again = import_feed(url, show_slug=result.show.slug, timeout=5)
    assert again.skipped == [episode.guid] and Episode.objects.count() == 1
    _summary(result, host, "castopod")


# --- Podcast Index's example feed: every Podcasting 2.0 tag, things that cannot be fetched ----------


def test_podcast_index_example(host):
    media = {"pi3.mp3": _mp3(), "pi2.mp3": _mp3()}
    host.add("/pi/ep0003.mp3", media["pi3.mp3"], "audio/mpeg")
    host.add("/pi/ep0002.mp3", media["pi2.mp3"], "audio/mpeg")
    host.add("/pi/artwork.jpg", make_artwork(1400), "image/jpeg")
    host.add("/pi/ep0003-bad.jpg", b"<html>moved</html>", "image/jpeg")
    host.add("/pi/ep3_chapters.json", CHAPTERS, "application/json")
    host.add("/pi/ep2_chapters.json", b"{not json", "application/json")
    host.add("/pi/ep3/transcript.txt", b"Hello", "text/plain")
    host.add("/pi/ep3/transcript.srt", SRT, "application/srt")
    host.add("/pi/ep2/transcript.vtt", VTT, "text/vtt")
    url = host.feed("/pi/feed.xml", "podcastindex.xml", media)

    result = import_feed(url, timeout=5)

    show = result.show
    assert str(show.podcast_guid) == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert (show.funding_url, show.funding_label) == (
        "https://www.example.com/donations",
        "Support the show!",
    )
    episodes = _episodes(show)
    ep3, ep2 = episodes["https://example.com/ep0003"], episodes["https://example.com/ep0002"]
    assert (ep3.season, ep3.number, ep2.season, ep2.number) == (1, 204, 1, 2)
    assert ep3.notes_html == "<p>A look into the future of podcasting and how we get to Podcasting 2.0!</p>"
    assert ep3.transcript_type == Episode.TranscriptType.SRT and ep3.chapters.read() == CHAPTERS
    assert not ep3.artwork and not ep2.chapters and ep2.transcript.read() == VTT
    # No role is a host (the namespace's default); a cover designer has no place here, reported.
    assert [(p.name, p.role) for p in ep3.persons.all()] == [
        ("Alice Brown", "host"),
        ("Becky Smith", "guest"),
    ]
    _summary(result, host, "podcastindex")


# --- The command prints the summary and the redirect steps ------------------------------------------


def test_command_prints_the_summary_and_how_to_redirect_the_old_feed(host, settings):
    media = {"s.mp3": _mp3(), "u.mp3": _mp3(), "f.ogg": _ogg_opus()}
    host.add("/podbean/mf/web/snakebite.mp3", media["s.mp3"], "audio/mpeg")
    host.add("/podbean/mf/web/undated.mp3", media["u.mp3"], "audio/mpeg")
    host.add("/podbean/mf/web/first.ogg", media["f.ogg"], "audio/ogg")
    url = host.feed("/podbean/feed.xml", "podbean.xml", media)
    out, err = io.StringIO(), io.StringIO()

    call_command("import_feed", url, "--timeout", "5", stdout=out, stderr=err)  # Opus included

    text = out.getvalue()
    assert "What was imported, per field:" in text
    assert "  episodes: 3 imported" in text
    assert "Apple Podcasts leaves Ogg episodes out" in text
    assert "  number: 3 imported" in text
    new_feed = Show.objects.get().feed_url
    assert f"To move subscribers to {new_feed}, redirect the old feed:" in text
    assert "At Podbean, set the feed's redirect" in text and f"answer {url} with HTTP 301" in text
    assert f"curl -sI {url} must show “301” and “Location: {new_feed}”" in text


# --- Bad input ---------------------------------------------------------------------------------------


def test_damaged_gzip_body_is_refused_clearly(host, media_root):
    url = host.add(
        "/feed.xml", b"\x1f\x8b\x08\x00garbage", "application/rss+xml", **{"Content-Encoding": "gzip"}
    )
    with pytest.raises(FeedImportError, match="gzip-compressed but damaged"):
        import_feed(url, timeout=5)
    assert Show.objects.count() == 0


def test_gzip_bomb_is_refused_at_the_feed_limit(host, settings, media_root):
    settings.PODCASTCME_IMPORT_MAX_FEED_BYTES = 64 * 1024
    url = host.add("/feed.xml", gzip.compress(b"<rss>" + b" " * 10_000_000), "application/rss+xml")
    with pytest.raises(FeedImportError, match="larger than 1 MB once unpacked"):
        import_feed(url, timeout=5)
    assert Show.objects.count() == 0


def test_new_feed_url_that_cannot_be_read_refuses_the_import(host, media_root):
    url = host.feed("/transistor/old", "transistor-old.xml", {"t1.mp3": _mp3()})
    with pytest.raises(
        FeedImportError, match=r"moved to .*/transistor/cardio-cases \(itunes:new-feed-url\).*HTTP 404"
    ):
        import_feed(url, timeout=5)
    assert Show.objects.count() == 0 and Episode.objects.count() == 0


def test_new_feed_url_on_an_internal_address_is_refused(host, settings, media_root):
    url = host.feed("/transistor/old", "transistor-old.xml", {"t1.mp3": _mp3()})
    host.routes["/transistor/old"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        host.routes["/transistor/old"][2].replace(
            host.base.encode() + b"/transistor/cardio-cases", b"http://10.0.0.7/feed"
        ),
    )
    with pytest.raises(FeedImportError, match="10.0.0.7 is 10.0.0.7, a private address"):
        import_feed(url, timeout=5)
    assert Show.objects.count() == 0


def test_new_feed_url_pointing_here_is_not_followed(host, settings):
    settings.SITE_URL = "https://podcasts.example.org"
    media = {"t1.mp3": _mp3()}
    host.add("/transistor/media/old.mp3", media["t1.mp3"], "audio/mpeg")
    url = host.feed("/transistor/old", "transistor-old.xml", media)
    feed = host.routes["/transistor/old"][2].replace(
        host.base.encode() + b"/transistor/cardio-cases",
        b"https://podcasts.example.org/shows/cardio/feed.xml",
    )
    host.routes["/transistor/old"] = (200, {"Content-Type": "application/rss+xml"}, feed)

    result = import_feed(url, timeout=5)

    assert result.imported == ["old-copy"]
    assert "The feed already points to this site" in " ".join(result.report()["feed"]["notes"])


def test_an_undeclared_unknown_prefix_is_still_refused(host, media_root):
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><foo:bar/></channel></rss>'
    url = host.add("/feed.xml", body, "application/rss+xml")
    with pytest.raises(FeedImportError, match="Namespace prefix foo on bar is not defined"):
        import_feed(url, timeout=5)


def test_a_relative_enclosure_in_a_local_file_fails_that_episode_clearly(tmp_path, media_root):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        "<channel><title>Local</title><itunes:owner><itunes:email>a@example.org</itunes:email></itunes:owner>"
        '<item><title>One</title><guid>one</guid><enclosure url="media/one.mp3" type="audio/mpeg"/></item>'
        "</channel></rss>"
    )
    result = import_feed(str(feed), timeout=5)
    assert result.failed == [("one", "Only http and https addresses can be fetched, not media/one.mp3.")]
    assert "1 enclosure URL was relative" in " ".join(result.report()["feed"]["notes"])


def test_editing_imported_notes_keeps_their_format(host):
    media = {"s.mp3": _mp3(), "u.mp3": _mp3(), "f.ogg": _ogg_opus()}
    host.add("/podbean/mf/web/snakebite.mp3", media["s.mp3"], "audio/mpeg")
    host.add("/podbean/mf/web/undated.mp3", media["u.mp3"], "audio/mpeg")
    url = host.feed("/podbean/feed.xml", "podbean.xml", media)
    text_episode = import_feed(url, timeout=5).show.episodes.get(guid="ruralgp.podbean.com/snakebite-abc123")

    edited = episode_update(episode=text_episode, actor=None, data={"notes": "#2 tip: *rest*\n<b>x</b>"})
    assert edited.notes_format == NotesFormat.TEXT
    assert edited.notes_html == "<p>#2 tip: *rest*<br>&lt;b&gt;x&lt;/b&gt;</p>"

    Episode.objects.filter(pk=edited.pk).update(notes_format=NotesFormat.HTML)
    edited.refresh_from_db()
    edited = episode_update(
        episode=edited, actor=None, data={"notes": "<p>a</p>\n    <p>#3 <script>x</script></p>"}
    )
    assert edited.notes_html == "<p>a</p>\n    <p>#3 </p>"  # sanitised, not a Markdown code block


def test_undated_items_keep_their_place_in_an_oldest_first_feed():
    items = "".join(
        f"<item><title>{title}</title><guid>{title}</guid>{date}"
        f'<enclosure url="{title}.mp3" type="audio/mpeg"/></item>'
        for title, date in [
            ("one", "<pubDate>Mon, 06 Jan 2025 08:00:00 GMT</pubDate>"),
            ("two", ""),
            ("three", "<pubDate>Mon, 20 Jan 2025 08:00:00 GMT</pubDate>"),
            ("four", ""),
        ]
    )
    feed = parse_feed(
        f'<rss version="2.0"><channel><title>Old first</title>{items}</channel></rss>'.encode(),
        "https://old.example.org/feeds/main.rss",
    )
    entries = {entry.guid: entry for entry in feed.entries}
    newest_first = sorted(entries, key=lambda guid: entries[guid].publish_at, reverse=True)
    assert newest_first == ["four", "three", "two", "one"]  # the feed's order, read from its end
    assert not entries["two"].dated and entries["one"].dated
    assert entries["two"].audio_url == "https://old.example.org/feeds/two.mp3" and entries["two"].relative_url


def test_opus_audio_named_and_typed_as_mp3_is_imported_as_opus_by_its_content(host):
    media = {"s.mp3": _ogg_opus(), "u.mp3": _mp3(), "f.ogg": _ogg_opus()}
    host.add("/podbean/mf/web/snakebite.mp3", media["s.mp3"], "audio/mpeg")  # Opus inside
    host.add("/podbean/mf/web/undated.mp3", media["u.mp3"], "audio/mpeg")
    url = host.feed("/podbean/feed.xml", "podbean.xml", media)

    result = import_feed(url, timeout=5)

    snake = Episode.objects.get(guid="ruralgp.podbean.com/snakebite-abc123")
    assert (snake.audio_mime, snake.audio_extension) == ("audio/ogg; codecs=opus", "opus")  # by content
    assert snake.audio.name.endswith(".opus")
    assert "ruralgp.podbean.com/undated-1" in result.imported
    notes = result.report()["episodes"]["notes"]
    assert any(
        n.startswith("Snakebite without a lab: Opus audio") and "called it audio/mpeg" in n for n in notes
    )
