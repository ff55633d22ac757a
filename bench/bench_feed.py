"""The feed: build time against bare feedgen, SQL queries per request, cached feed against WhiteNoise.

Everything happens in a fresh database the bench creates and migrates (Django's test-database
machinery: ``test_<name>`` on PostgreSQL, a temporary file on SQLite) and drops at the end, with
media and static files in temporary folders. The HTTP figures start gunicorn on 127.0.0.1 and drive
it with a small keep-alive load generator from this process: loopback only, bounded requests.
"""

import http.client
import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import Row
from bench._load import CLIENT_THREADS, requests_per_second
from bench._server import fresh_database, gunicorn

EPISODES = 1000
BUILD_RUNS = 7
REQUESTS = 2000
POLL_ROUNDS = 5
GOAL_304_RATIO = 0.9  # issue 14 item 8
ROOT = Path(__file__).resolve().parent.parent
NOTES = (
    "<p>A case of <strong>difficult airway</strong> in the emergency department: how we planned, what "
    "went wrong, and what we would do again.</p><ul><li>Plan A to D</li><li>Front-of-neck access</li>"
    '</ul><p>References: <a href="https://example.org/guideline">Difficult Airway Society</a>.</p>'
)


# --- data -----------------------------------------------------------------------------------------


def _make_show(slug: str, episodes: int):
    """A show with ``episodes`` public episodes: one stored through the service, the rest in bulk."""
    from episodes import services
    from episodes.models import Episode, EpisodePerson, Topic
    from testkit.media import make_artwork, make_audio

    show = services.show_create(
        host=None,
        data={
            "title": f"Bench show {slug}",
            "slug": slug,
            "description": "Short cases in airway management for anaesthetists. " * 10,
            "author": "Society of Benchmarks",
            "owner_name": "Society of Benchmarks",
            "owner_email": "bench@example.org",
            "funding_url": "https://example.org/donate",
            "funding_label": "Support us",
            "copyright": "2026 Society of Benchmarks",
            "artwork": SimpleUploadedFile("cover.jpg", make_artwork(1400), content_type="image/jpeg"),
        },
    )
    with open(make_audio(2.0), "rb") as handle:
        first = services.episode_create(
            show=show,
            actor=None,
            title="Episode 0",
            audio=File(handle, name="bench.mp3"),
            notes="The **first** one.",
            status=Episode.Status.PUBLISHED,
            publish_at=timezone.now() - timedelta(days=episodes + 1),
            topics="#airway #POCUS",
            persons=[services.PersonData(name="Dr Host", role="host")],
        )
    now = timezone.now()
    rows = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"Case {n}: the difficult airway, part {n}",
            slug=f"case-{n}",
            guid=str(uuid.uuid4()),
            notes_html=NOTES,
            audio=first.audio.name,
            audio_mime=first.audio_mime,
            audio_size=first.audio_size + n,
            audio_duration=1800.0 + n,
            audio_bitrate=first.audio_bitrate,
            status=Episode.Status.PUBLISHED,
            publish_at=now - timedelta(days=n, minutes=5),
            season=1 + n // 50,
            number=n,
        )
        for n in range(1, episodes)
    )
    topics = list(Topic.objects.all())
    Episode.topics.through.objects.bulk_create(
        Episode.topics.through(episode_id=row.pk, topic_id=topic.pk) for row in rows for topic in topics
    )
    EpisodePerson.objects.bulk_create(
        EpisodePerson(episode=row, name=name, role=role, position=i)
        for row in rows
        for i, (name, role) in enumerate([("Dr Host", "host"), (f"Dr Guest {row.number}", "guest")])
    )
    services.show_update(show=show, actor=None, data={})  # content_changed_at after the bulk rows
    show.refresh_from_db()
    return show


# --- (1) build time -------------------------------------------------------------------------------


def _in_memory_entries(show) -> tuple[dict, list[dict]]:
    """The same channel and items as plain Python data, read once before the clock starts."""
    from episodes.feeds import _item_notes, _published_items, _UrlTemplates

    urls = _UrlTemplates(show)
    site = settings.SITE_URL
    channel = {
        "title": show.title, "description": show.description, "link": site + show.get_absolute_url(),
        "feed_url": show.feed_url, "language": show.language, "copyright": show.copyright,
        "artwork": site + show.get_feed_artwork_url(), "author": show.author, "owner_name": show.owner_name,
        "owner_email": show.owner_email, "category": show.category, "subcategory": show.subcategory,
        "type": show.show_type, "guid": str(show.podcast_guid), "funding_url": show.funding_url,
        "funding_label": show.funding_label, "last_modified": show.content_changed_at,
    }  # fmt: skip
    items = [
        {
            "title": e.title,
            "link": urls.page.format(slug=e.slug),
            "guid": e.guid,
            "published": e.publish_at,
            # (content:encoded, description cut to Apple's 4,000 bytes), as the feed writes them.
            "notes": _item_notes(e, urls.page.format(slug=e.slug)),
            "audio": urls.audio[e.audio_extension].format(pk=e.pk, slug=e.slug),
            "size": str(e.audio_size),
            "mime": e.audio_mime,
            "duration": round(e.audio_duration),
            "type": e.episode_type,
            "season": e.season,
            "number": e.number,
            "explicit": e.explicit,
            "topics": list(e.topics),
            "persons": list(e.persons),
        }  # fmt: skip
        for e in _published_items(show, timezone.now())
    ]
    return channel, items


def _bare_feedgen(channel: dict, items: list[dict]) -> bytes:
    """Bare feedgen (with its podcast extension and ours, for the same tags) from in-memory data."""
    from feedgen.feed import FeedGenerator

    from episodes.podcast_ext import Person, register

    fg = FeedGenerator()
    fg.load_extension("podcast", atom=False)
    register(fg)
    fg.link(href=channel["feed_url"], rel="self")
    fg.link(href=channel["link"], rel="alternate")
    fg.title(channel["title"])
    fg.description(channel["description"])
    fg.language(channel["language"])
    fg.copyright(channel["copyright"])
    fg.lastBuildDate(channel["last_modified"])
    fg.image(url=channel["artwork"], title=channel["title"], link=channel["link"])
    fg.podcast.itunes_author(channel["author"])
    fg.podcast.itunes_owner(name=channel["owner_name"], email=channel["owner_email"])
    fg.podcast.itunes_category({"cat": channel["category"], "sub": channel["subcategory"]})
    fg.podcast.itunes_image(channel["artwork"])
    fg.podcast.itunes_type(channel["type"])
    fg.podcastindex.itunes_explicit_bool(False)
    fg.podcastindex.podcast_guid(channel["guid"])
    fg.podcastindex.podcast_locked(True, channel["owner_email"])
    fg.podcastindex.podcast_funding(channel["funding_url"], channel["funding_label"])
    fg.podcastindex.podcast_medium("podcast")
    for item in items:
        fe = fg.add_entry(order="append")
        fe.title(item["title"])
        fe.link(href=item["link"])
        fe.guid(item["guid"], permalink=False)
        fe.pubDate(item["published"])
        content, description = item["notes"]
        fe.description(description)
        fe.content(content)
        fe.enclosure(item["audio"], item["size"], item["mime"])
        for topic in item["topics"]:
            fe.category(term=topic)
        fe.podcast.itunes_duration(item["duration"])
        fe.podcast.itunes_episode_type(item["type"])
        if item["season"] is not None:
            fe.podcast.itunes_season(item["season"])
        if item["number"] is not None:
            fe.podcast.itunes_episode(item["number"])
        fe.podcastindex.itunes_explicit_bool(item["explicit"])
        fe.podcastindex.podcast_season(item["season"])
        fe.podcastindex.podcast_episode(item["number"])
        for name, role, href, img in item["persons"]:
            fe.podcastindex.podcast_person(Person(name=name, role=role, href=href, img=img))
    return fg.rss_str(pretty=False)


def _itunes_image(feed: bytes) -> str | None:
    from lxml import etree

    image = etree.fromstring(feed).find("channel/{http://www.itunes.com/dtds/podcast-1.0.dtd}image")
    return None if image is None else image.get("href")


def _median_seconds(function, runs: int = BUILD_RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _build_rows(big) -> list[Row]:
    from episodes.feeds import build_feed

    channel, items = _in_memory_entries(big)
    built, bare = build_feed(big), _bare_feedgen(channel, items)
    assert built.count(b"<item>") == bare.count(b"<item>") == EPISODES, "the two feeds differ"
    # A fair floor names the same cover as the feed (the JPEG rendition made for it, not the upload).
    assert _itunes_image(built) == _itunes_image(bare) == channel["artwork"], "the two feeds' covers differ"
    db_time = _median_seconds(lambda: build_feed(big))
    bare_time = _median_seconds(lambda: _bare_feedgen(channel, items))
    return [
        Row(f"feed build, {EPISODES} episodes from the DB (median of {BUILD_RUNS})", db_time * 1000,
            bare_time * 1000, "ms", "ratio <= 2.0", db_time <= 2.0 * bare_time),
    ]  # fmt: skip


# --- (2) queries ----------------------------------------------------------------------------------


def _queries(show) -> tuple[int, int]:
    client = Client()
    url = show.get_feed_url()
    for alias in settings.CACHES:
        from django.core.cache import caches

        caches[alias].clear()
    with CaptureQueriesContext(connection) as rebuild:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as hit:
        assert client.get(url).status_code == 200
    return len(rebuild), len(hit)


def _query_rows(small, big) -> list[Row]:
    small_rebuild, small_hit = _queries(small)
    big_rebuild, big_hit = _queries(big)
    return [
        Row(f"feed SQL queries, rebuild: {EPISODES} vs 10 episodes", big_rebuild, small_rebuild, "q",
            "<= 6 and equal", big_rebuild == small_rebuild and big_rebuild <= 6),
        Row(f"feed SQL queries, cache hit: {EPISODES} vs 10 episodes", big_hit, small_hit, "q",
            "<= 6 and equal", big_hit == small_hit and big_hit <= 6),
    ]  # fmt: skip


# --- (3) cached feed through the app against WhiteNoise -------------------------------------------


def _gunicorn(database_url: str, static_root: Path, workdir: Path, middleware: list[str]):
    """gunicorn with the test settings, but WhiteNoise and the feed re-check window as in production."""
    extra = (
        "WHITENOISE_USE_FINDERS = False\nWHITENOISE_AUTOREFRESH = False\n"
        "from podcastcme.settings.base import PODCASTCME_FEED_RECHECK_SECONDS  # noqa: F401\n"
        f"STATIC_ROOT = {str(static_root)!r}\nMIDDLEWARE = {middleware!r}\n"
    )
    return gunicorn(database_url, workdir, extra_settings=extra, prefix="bench_feed")


def _load(port: int, path: str, requests: int, expect: bytes, etag: str = "") -> float:
    """Requests per second for ``requests`` GETs over keep-alive connections from a few threads.

    With ``etag`` each GET is a podcast app's poll (``If-None-Match``) and must be answered 304.
    """
    headers = {"Host": "127.0.0.1", **({"If-None-Match": etag} if etag else {})}
    status, length = (304, 0) if etag else (200, len(expect))
    return requests_per_second(port, path, requests, headers=lambda _n: headers, status=status, length=length)


def _server_cpu_seconds(port: int) -> float:
    """CPU seconds used so far by the gunicorn serving ``port`` (master and workers, all threads)."""
    needle, total = f"127.0.0.1:{port}".encode(), 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if needle not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def _etag(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1"})
    response = conn.getresponse()
    response.read()
    conn.close()
    etag = response.getheader("ETag") or ""
    if response.status != 200 or not etag:
        raise RuntimeError(f"{path}: {response.status}, ETag {etag!r}")
    return etag


def _http_rows(database_url: str, shows: list) -> list[Row]:
    from episodes.feeds import build_feed

    workdir = Path(tempfile.mkdtemp(prefix="podcastcme-bench-http-"))
    static_root = workdir / "static"
    static_root.mkdir()
    bodies = {}
    for show in shows:
        bodies[show.slug] = build_feed(show)
        (static_root / f"{show.slug}.xml").write_bytes(bodies[show.slug])
    configurations = [("settings as they are", list(settings.MIDDLEWARE))]
    fast = "podcastcme.middleware.EarlyPublicViewsMiddleware"
    if fast not in settings.MIDDLEWARE:
        with_fast = list(settings.MIDDLEWARE)
        with_fast.insert(with_fast.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, fast)
        configurations.append(("with FeedMiddleware", with_fast))
    rows = []
    try:
        for label, middleware in configurations:
            rows += _http_runs(database_url, static_root, workdir, middleware, label, shows, bodies)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _http_runs(database_url, static_root, workdir, middleware, label, shows, bodies) -> list[Row]:
    """Requests per second for each feed and its static copy, from one gunicorn, interleaved."""
    rows = []
    with _gunicorn(database_url, static_root, workdir, middleware) as port:
        for show in shows:
            app_path, static_path = show.get_feed_url(), f"{settings.STATIC_URL}{show.slug}.xml"
            body = bodies[show.slug]
            for path in (app_path, static_path):  # warm up: each worker builds or finds its copy
                _load(port, path, 200, body)
            app_runs, static_runs = [], []
            for _ in range(3):  # interleaved, so a slow moment hits both
                app_runs.append(_load(port, app_path, REQUESTS, body))
                static_runs.append(_load(port, static_path, REQUESTS, body))
            app_rps, static_rps = statistics.median(app_runs), statistics.median(static_runs)
            name = f"feed {show.episodes.count()} ep. {len(body) // 1024} KiB vs WhiteNoise, {label}"
            rows.append(Row(name, app_rps, static_rps, "/s", "ratio >= 0.8", app_rps >= 0.8 * static_rps))
        # Issue 14 item 8: a podcast app's poll (If-None-Match with the ETag it has) answered 304,
        # the app against WhiteNoise answering the same poll for the static copy; one show is enough
        # (a 304 has no body, so the feed's size does not matter).
        show = shows[-1]
        app_path, static_path = show.get_feed_url(), f"{settings.STATIC_URL}{show.slug}.xml"
        app_etag, static_etag = _etag(port, app_path), _etag(port, static_path)
        for path, etag in ((app_path, app_etag), (static_path, static_etag)):
            _load(port, path, 200, b"", etag)
        # Requests per CPU-second of the server (as bench_feed_nginx does for nginx): on 2 cores
        # shared with the load generator and other work, requests per second moved from 0.63 to
        # 1.23 between runs of the same code; the server's CPU time per answer does not.
        runs: dict[str, list[float]] = {"app": [], "static": []}
        cpu = {"app": 0.0, "static": 0.0}
        for round_ in range(POLL_ROUNDS):  # interleaved, in alternating order
            pairs = [("app", app_path, app_etag), ("static", static_path, static_etag)]
            for side, path, etag in pairs if round_ % 2 == 0 else pairs[::-1]:
                before = _server_cpu_seconds(port)
                runs[side].append(_load(port, path, REQUESTS, b"", etag))
                cpu[side] += _server_cpu_seconds(port) - before
        done = POLL_ROUNDS * (REQUESTS // CLIENT_THREADS) * CLIENT_THREADS
        app_cpu, static_cpu = done / max(cpu["app"], 1e-9), done / max(cpu["static"], 1e-9)
        wall = statistics.median(runs["app"]) / statistics.median(runs["static"])
        rows.append(
            Row(f"feed 304 vs WhiteNoise 304 per CPU-s (wall {wall:.2f}), {label}", app_cpu, static_cpu,
                "/s", f"ratio >= {GOAL_304_RATIO}", app_cpu >= GOAL_304_RATIO * static_cpu)
        )  # fmt: skip
    return rows


def run() -> list[Row]:
    media = tempfile.mkdtemp(prefix="podcastcme-bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media), fresh_database() as (database_url, _tmp):
            small = _make_show("bench-small", 10)
            big = _make_show("bench-big", EPISODES)
            rows = _build_rows(big)
            rows += _query_rows(small, big)
            rows += _http_rows(database_url, [small, big])
            return rows
    finally:
        shutil.rmtree(media, ignore_errors=True)
