"""Download counting: audio range requests per second with counting on vs off; the dashboard at 1M requests.

Everything happens in a fresh database the bench creates and migrates (Django's test-database
machinery, as bench_feed does) and drops at the end, with media in a temporary folder.

(1) gunicorn servers on 127.0.0.1 started from the same settings, one with
    ``PODCASTCME_COUNT_DOWNLOADS = False``, are driven in turns by the same keep-alive client asking
    ``Range: bytes=1000-50000`` of one episode (206, 49,001 bytes, short of a counted download).
    Counting on means buffered recording (``PODCASTCME_COUNT_BUFFER_SECONDS = 1``, the production
    setting); counting with each request written as it is served is shown for reference. Two client
    patterns: one player re-reading the range, and a new listener for every request (every request
    then creates a coverage row).
(2) A show with 1,000,000 logged requests (bulk-inserted in batches of 5,000, with the daily
    aggregates they would have produced), its dashboard rendered through the test client, against
    the floor measured in the same run: the same dashboard of a show of the same host with its
    episodes and no logged request (same page, template and charts: the page's fixed cost). The goal
    is a ratio (issue 14 item 10), not a number of milliseconds that depends on the machine.
"""

import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from bench import Row
from bench._load import CLIENT_THREADS, requests_per_second
from bench._server import fresh_database, gunicorn

ROOT = Path(__file__).resolve().parent.parent
RANGE = "bytes=1000-50000"
RANGE_BYTES = 49_001
REQUESTS = 600
ROUNDS = 10
WARM_UP = 400
LOG_ROWS = 1_000_000
BATCH = 5_000
EPISODES = 20
DAYS = 90
DASHBOARD_RUNS = 7
DASHBOARD_GOAL_RATIO = 1.5  # at 1M logged requests, at most 1.5x the empty show's dashboard
BUFFER_SECONDS = 1.0  # what production should set (PODCASTCME_COUNT_BUFFER_SECONDS)


# --- database and server (the same pattern as bench_feed) ----------------------------------------


def _gunicorn(database_url: str, workdir: Path, *, counting: bool, buffer: float):
    extra = f"PODCASTCME_COUNT_DOWNLOADS = {counting!r}\nPODCASTCME_COUNT_BUFFER_SECONDS = {buffer!r}\n"
    return gunicorn(database_url, workdir, extra_settings=extra, prefix="bench_analytics")


# --- (1) range requests with counting on and off --------------------------------------------------


def _load(port: int, path: str, requests: int, *, new_listener_each_time: bool) -> float:
    """Requests per second for ``requests`` range GETs over keep-alive connections from a few threads."""

    def headers(number: int) -> dict[str, str]:
        listener = uuid.uuid4().hex if new_listener_each_time else number
        agent = f"AppleCoreMedia/1.0.0.21E236 (iPhone; bench {listener})"
        return {"Host": "127.0.0.1", "Range": RANGE, "User-Agent": agent}

    return requests_per_second(port, path, requests, headers=headers, status=206, length=RANGE_BYTES)


def _delivery_rows(database_url: str, episode) -> list[Row]:
    from episodes.models import DownloadRequest

    workdir = Path(tempfile.mkdtemp(prefix="podcastcme-bench-analytics-"))
    path = episode.get_audio_url()
    rows, logged_expected = [], 0
    patterns = [("one player", False), ("a new listener each request", True)]
    try:
        with (
            _gunicorn(database_url, workdir, counting=True, buffer=BUFFER_SECONDS) as buffered,
            _gunicorn(database_url, workdir, counting=True, buffer=0) as direct,
            _gunicorn(database_url, workdir, counting=False, buffer=0) as off,
        ):
            cases = [
                (f"buffered {BUFFER_SECONDS:g} s, {label}", buffered, fresh, True)
                for label, fresh in patterns
            ]
            cases.append(("written at once, one player (reference)", direct, False, False))
            for label, on, fresh, has_goal in cases:
                for port in (on, off):  # warm up: imports, connections, the threshold memo
                    _load(port, path, WARM_UP, new_listener_each_time=fresh)
                ratios, on_runs, off_runs = [], [], []
                # Paired runs, back to back in alternating order: other work on the machine slows both
                # of a pair alike, so the median of the pairs' ratios is steadier than a ratio of medians.
                for round_ in range(ROUNDS):
                    rps = {}
                    for port in (on, off) if round_ % 2 == 0 else (off, on):
                        rps[port] = _load(port, path, REQUESTS, new_listener_each_time=fresh)
                    on_runs.append(rps[on])
                    off_runs.append(rps[off])
                    ratios.append(rps[on] / rps[off])
                logged_expected += WARM_UP + ROUNDS * (REQUESTS // CLIENT_THREADS * CLIENT_THREADS)
                ratio = statistics.median(ratios)
                goal = "ratio >= 0.9" if has_goal else "none (reference)"
                rows.append(
                    Row(f"206 range/s on/off, median of {ROUNDS} pairs: {label} "
                        f"({statistics.median(on_runs):.0f} vs {statistics.median(off_runs):.0f}/s)",
                        ratio, None, "x", goal, ratio >= 0.9 or not has_goal)
                )  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # The servers have stopped (the buffered one flushes on exit): every request must be in the log.
    logged = DownloadRequest.objects.filter(episode=episode).count()
    if logged != logged_expected:
        raise RuntimeError(f"counting on logged {logged} requests, expected {logged_expected}")
    return rows


# --- (2) the dashboard at 1,000,000 logged requests -----------------------------------------------


APPS = ["Apple Podcasts", "Spotify", "Overcast", "Pocket Casts", "AntennaPod", "Chrome", "Other"]
AGENTS = {
    "Apple Podcasts": "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)",
    "Spotify": "Spotify/8.9.10 Android/34 (Pixel 8)",
    "Overcast": "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "Pocket Casts": "PocketCasts/1.0 (Pocket Casts; +http://pocketcasts.com/)",
    "AntennaPod": "AntennaPod/3.4.0",
    "Chrome": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36",
    "Other": "SomePlayer/2.0",
}


def _fill_log(show, episodes) -> None:
    """1M request rows (about one in four completes a download) and the daily totals they produce."""
    from episodes.models import DailyEpisodeDownloads, DownloadRequest

    rng = random.Random(4)
    now = timezone.now()
    daily: Counter = Counter()
    batch = []
    for n in range(LOG_ROWS):
        episode = episodes[n % len(episodes)]
        app = rng.choice(APPS)
        bot = n % 23 == 0
        at = now - timedelta(seconds=rng.randrange(DAYS * 86_400))
        counted = not bot and n % 4 == 0
        start = rng.randrange(0, 5_000_000)
        batch.append(
            DownloadRequest(
                episode_id=episode.pk, requested_at=at, ip_hash=f"{rng.getrandbits(128):032x}",
                user_agent="Googlebot/2.1" if bot else AGENTS[app], app="Bot" if bot else app, is_bot=bot,
                method="GET", status=206, range_start=start, range_end=start + 1_048_575,
                bytes_sent=1_048_576, counted=counted,
            )
        )  # fmt: skip
        if counted:
            daily[(episode.pk, timezone.localdate(at), app)] += 1
        if len(batch) == BATCH:
            DownloadRequest.objects.bulk_create(batch)
            batch = []
    if batch:
        DownloadRequest.objects.bulk_create(batch)
    DailyEpisodeDownloads.objects.bulk_create(
        (
            DailyEpisodeDownloads(show_id=show.pk, episode_id=pk, day=day, app=app, count=count)
            for (pk, day, app), count in daily.items()
        ),
        batch_size=BATCH,
    )


def _dashboard_median_ms(client: Client, url: str) -> float:
    response = client.get(url)  # warm up: templates, session
    if response.status_code != 200 or b"<svg" not in response.content:
        raise RuntimeError(f"dashboard answered {response.status_code}")
    samples = []
    for _ in range(DASHBOARD_RUNS):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _dashboard_rows(show, host, empty_show) -> list[Row]:
    from django.urls import reverse

    from testkit.mfa import mfa_login

    client = Client()
    mfa_login(client, host)
    url = reverse("episodes:host_show_analytics", args=[show.slug])
    floor_url = reverse("episodes:host_show_analytics", args=[empty_show.slug])
    rows = []
    for days in (30, 90):
        median = _dashboard_median_ms(client, f"{url}?days={days}")
        floor = _dashboard_median_ms(client, f"{floor_url}?days={days}")
        name = f"dashboard, {LOG_ROWS:,} logged requests, {days} days vs none (median of {DASHBOARD_RUNS})"
        goal, ok = f"ratio <= {DASHBOARD_GOAL_RATIO:g}", median <= DASHBOARD_GOAL_RATIO * floor
        rows.append(Row(name, median, floor, "ms", goal, ok))
    return rows


# --- run ------------------------------------------------------------------------------------------


def _setup():
    from accounts.models import User
    from episodes import services
    from episodes.models import Episode
    from testkit.media import make_audio

    host = User.objects.create_user(email="bench-host@example.org", password="bench-password-123")
    show = services.show_create(
        host=host,
        data={
            "title": "Bench analytics",
            "slug": "bench-analytics",
            "description": "Downloads.",
            "author": "Bench",
            "owner_name": "Bench",
            "owner_email": "bench@example.org",
        },
    )
    episodes = []
    for n in range(EPISODES):
        audio = SimpleUploadedFile("bench.mp3", make_audio(90.0, "mp3", bitrate="32k").read_bytes())
        episodes.append(
            services.episode_create(
                show=show, actor=host, title=f"Episode {n}", audio=audio, status=Episode.Status.PUBLISHED,
                publish_at=timezone.now() - timedelta(days=DAYS - n),
            )
        )  # fmt: skip
    return host, show, episodes


def _empty_show(host, episodes):
    """The floor's show: the same host, as many published episodes (their rows copied, no new audio),
    and no logged request."""
    from episodes import services
    from episodes.models import Episode

    show = services.show_create(
        host=host,
        data={
            "title": "Bench analytics floor",
            "slug": "bench-analytics-floor",
            "description": "No downloads.",
            "author": "Bench",
            "owner_name": "Bench",
            "owner_email": "bench@example.org",
        },
    )
    Episode.objects.bulk_create(
        Episode(
            show=show, title=e.title, slug=f"floor-{e.slug}", guid=f"floor-{e.guid}", audio=e.audio.name,
            audio_mime=e.audio_mime, audio_size=e.audio_size, audio_duration=e.audio_duration,
            audio_bitrate=e.audio_bitrate, status=e.status, publish_at=e.publish_at,
        )
        for e in episodes
    )  # fmt: skip
    return show


def run() -> list[Row]:
    media = tempfile.mkdtemp(prefix="podcastcme-bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media), fresh_database() as (database_url, _tmp):
            host, show, episodes = _setup()
            if episodes[0].audio.size <= 50_000:
                raise RuntimeError("the benchmark episode is too short for bytes=1000-50000")
            rows = _delivery_rows(database_url, episodes[0])
            _fill_log(show, episodes)
            rows += _dashboard_rows(show, host, _empty_show(host, episodes))
            return rows
    finally:
        shutil.rmtree(media, ignore_errors=True)
