"""Download counting (IAB rules, one table row per rule), the audio view's recording, the host dashboard."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from mutagen.id3 import ID3

from episodes.analytics.buffer import flush_pending
from episodes.analytics.identity import client_keys, ip_network_part
from episodes.analytics.recording import Pending, record_many, record_request
from episodes.analytics.thresholds import download_threshold, header_bytes
from episodes.delivery import Served
from episodes.demo_analytics import seed_demo_downloads
from episodes.intervals import merge_range
from episodes.models import ByteCoverage, DailyEpisodeDownloads, Download, DownloadRequest, Episode, ShowHost
from episodes.selectors import parse_days
from episodes.services import episode_create, show_create
from episodes.user_agents import identify
from testkit.media import make_artwork, make_audio
from testkit.mfa import mfa_login

pytestmark = pytest.mark.django_db

APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
IP = "203.0.113.7"
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def _upload(show, user, title: str, seconds: float) -> Episode:
    audio = SimpleUploadedFile("upload.mp3", make_audio(seconds, "mp3", bitrate="32k").read_bytes())
    return episode_create(
        show=show,
        actor=user,
        title=title,
        audio=audio,
        status=Episode.Status.PUBLISHED,
        publish_at=T0 - timedelta(days=3),
    )


@pytest.fixture(autouse=True)
def _record_at_once(settings):
    # Each request is recorded as it is served, whatever the deployment's buffer says; the buffered
    # writer has its own test below.
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0


@pytest.fixture
def podcast(host, show):
    # Cover art goes into the MP3's ID3 tag: the header the threshold adds to one minute of audio.
    show.artwork.save("cover.jpg", SimpleUploadedFile("cover.jpg", make_artwork(1400, "JPEG")))
    return show


@pytest.fixture
def long_episode(podcast, host):
    return _upload(podcast, host, "Ninety seconds of airway", 90.0)


@pytest.fixture
def short_episode(podcast, host):
    return _upload(podcast, host, "Ten seconds of airway", 10.0)


# --- the threshold ---------------------------------------------------------------------------------


def test_threshold_is_the_id3_header_plus_one_minute_of_audio(long_episode):
    size = long_episode.audio.size
    with long_episode.audio.open("rb") as handle:
        header = header_bytes(handle)
    with long_episode.audio.open("rb") as handle:
        cover = ID3(handle).getall("APIC")[0].data
    assert header > len(cover) > 1_000  # the (small, issue 16) cover sits in the ID3 tag, before the audio
    assert download_threshold(long_episode, size) == header + long_episode.audio_bitrate * 60 // 8
    assert download_threshold(long_episode, size) < size


def test_threshold_of_a_file_shorter_than_a_minute_is_the_whole_file(short_episode):
    size = short_episode.audio.size
    assert download_threshold(short_episode, size) == size


def test_m4a_header_is_every_box_but_the_audio(tmp_path):
    path = make_audio(3.0, "m4a")
    data = path.read_bytes()
    with path.open("rb") as handle:
        header = header_bytes(handle)
    mdat = data.index(b"mdat") - 4
    mdat_size = int.from_bytes(data[mdat : mdat + 4], "big")
    assert header == len(data) - mdat_size  # ftyp + moov (+ free): all but the audio


def test_ranges_merge_into_distinct_bytes():
    ranges, covered = merge_range([], 0, 99)
    ranges, covered = merge_range(ranges, 50, 149)  # overlaps: 50 new bytes
    ranges, covered = merge_range(ranges, 150, 199)  # touches: merged
    ranges, covered = merge_range(ranges, 500, 599)
    assert ranges == [[0, 199], [500, 599]]
    assert covered == 300


# --- the rules, one row each -------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    """One request; ``span`` gives its inclusive bytes from (threshold, size), or None for no body."""

    span: Callable[[int, int], tuple[int, int]] | Literal["all"] | None = "all"
    method: str = "GET"
    status: int | None = None  # default: 200 for the whole file, 206 for a range, 200 for HEAD
    ua: str = APPLE
    ip: str = IP
    after: timedelta = timedelta(0)  # since T0


@dataclass(frozen=True)
class Rule:
    id: str
    requests: list[Req]
    downloads: int
    episode: str = "long"
    apps: list[str] = field(default_factory=list)


def half(t, s):
    return (0, t // 2)


def rest(t, s):
    return (t // 2 + 1, t - 1)


def probe(t, s):
    return (0, 1)


def whole(t, s):
    return (0, s - 1)


HOURS = timedelta(hours=1)
MINUTES = timedelta(minutes=1)


RULES = [
    Rule("GET of the whole file counts", [Req()], 1, apps=["Apple Podcasts"]),
    Rule("HEAD never counts", [Req(span=None, method="HEAD")], 0),
    Rule("304 Not Modified never counts", [Req(span=None, status=304)], 0),
    Rule("416 (a range past the end) never counts", [Req(span=None, status=416)], 0),
    Rule("a bytes=0-1 probe never counts", [Req(span=probe)], 0),
    Rule("a small range below the threshold does not count", [Req(span=lambda t, s: (0, 1023))], 0),
    Rule("a probe then the rest counts once", [Req(span=probe), Req(span=whole)], 1),
    Rule("one range reaching header + 60 s counts", [Req(span=lambda t, s: (0, t - 1))], 1),
    Rule("one range a byte short of the threshold does not", [Req(span=lambda t, s: (0, t - 2))], 0),
    Rule("split ranges that only together pass count once", [Req(span=half), Req(span=rest)], 1),
    Rule(
        "split ranges, then more ranges: still one download",
        [Req(span=half), Req(span=rest), Req(span=lambda t, s: (t, s - 1)), Req(span=half)],
        1,
    ),
    Rule("the same range fetched again adds nothing", [Req(span=half), Req(span=half), Req(span=half)], 0),
    Rule("ranges more than 24 h apart do not add up", [Req(span=half), Req(span=rest, after=25 * HOURS)], 0),
    Rule("one minute from the middle of the file counts", [Req(span=lambda t, s: (s - t, s - 1))], 1),
    Rule("a short file counts when fetched whole", [Req()], 1, episode="short"),
    Rule("a short file less 100 bytes: not counted", [Req(span=lambda t, s: (0, s - 100))], 0, "short"),
    Rule("same IP + UA again 23:59 later: not counted", [Req(), Req(after=23 * HOURS + 59 * MINUTES)], 1),
    Rule("same IP + UA again 24:01 later: counted", [Req(), Req(after=24 * HOURS + MINUTES)], 2),
    Rule("same IP, another app: two", [Req(), Req(ua=OVERCAST)], 2, apps=["Apple Podcasts", "Overcast"]),
    Rule("another IPv4 address counts twice", [Req(), Req(ip="203.0.113.8")], 2),
    Rule(
        "IPv6 addresses in one /64 are one client",
        [Req(ip="2001:db8:1:2:aaaa::1"), Req(ip="2001:db8:1:2:bbbb:cccc:dddd:eeee")],
        1,
    ),
    Rule("IPv6 in two /64s: two clients", [Req(ip="2001:db8:1:2::1"), Req(ip="2001:db8:1:3::1")], 2),
    Rule("IPv4-mapped IPv6 is the IPv4 client", [Req(ip="203.0.113.7"), Req(ip="::ffff:203.0.113.7")], 1),
    Rule("a request without a user agent is recorded, not counted", [Req(ua="")], 0),
    Rule("a bot's user agent is recorded, not counted", [Req(ua=GOOGLEBOT)], 0),
    Rule("curl is recorded, not counted", [Req(ua="curl/8.5.0")], 0),
    Rule("an unknown app counts as Other", [Req(ua="MyLittlePlayer/1.0")], 1, apps=["Other"]),
]  # fmt: skip


def _served(req: Req, episode: Episode) -> Served:
    size = episode.audio.size
    if req.span is None:
        start = end = None
    elif isinstance(req.span, str):  # "all"
        start, end = 0, size - 1
    else:
        start, end = req.span(download_threshold(episode, size), size)
    status = req.status or (206 if req.span not in (None, "all") else 200)
    return Served(
        method=req.method, status=status, start=start, end=end, size=size, via_nginx=False,
        range_requested=status == 206,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["one by one", "in one batch"])
@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_counting_rule(rule, mode, long_episode, short_episode):
    episode = long_episode if rule.episode == "long" else short_episode
    pending = [
        Pending(episode, _served(req, episode), req.ip, req.ua, None, T0 + req.after) for req in rule.requests
    ]
    if mode == "one by one":  # as the audio view records by default
        for p in pending:
            record_request(episode=p.episode, served=p.served, ip=p.ip, user_agent=p.user_agent, now=p.now)
    else:  # as the buffered writer records them
        assert record_many(pending) == rule.downloads
    assert DownloadRequest.objects.filter(episode=episode).count() == len(rule.requests)  # all recorded
    assert Download.objects.filter(episode=episode).count() == rule.downloads
    assert DownloadRequest.objects.filter(episode=episode, counted=True).count() == rule.downloads
    daily = DailyEpisodeDownloads.objects.filter(episode=episode)
    assert sum(daily.values_list("count", flat=True)) == rule.downloads  # aggregated as counted
    if rule.apps:
        assert sorted(Download.objects.values_list("app", flat=True)) == sorted(rule.apps)


@pytest.mark.parametrize(
    ("user_agent", "app", "is_bot"),
    [
        (APPLE, "Apple Podcasts", False),
        ("Podcasts/1650.20 CFNetwork/1490.0.4 Darwin/23.2.0", "Apple Podcasts", False),
        ("iTunes/12.12 (Macintosh; OS X 13.4) AppleWebKit/615.2.9.10.4", "Apple Podcasts", False),
        ("Spotify/8.9.10 Android/34 (Pixel 8)", "Spotify", False),
        (OVERCAST, "Overcast", False),
        ("PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)", "Pocket Casts", False),
        ("Castro 2024.3/1234 CFNetwork", "Castro", False),
        ("AntennaPod/3.4.0", "AntennaPod", False),
        ("PodcastAddict/v5 (+https://podcastaddict.com/; Android podcast app)", "Podcast Addict", False),
        ("CastBox/8.2.5-210106", "Castbox", False),
        ("gPodder/3.11.4 (+http://gpodder.org/) Linux", "gPodder", False),
        ("GoogleChirp/1.0", "Google Podcasts", False),
        ("Podverse/4.15 (Android)", "Podverse", False),
        ("Fountain/1.0.9 (Android 14)", "Fountain", False),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0",
            "Edge",
            False,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0.0.0 Safari/537.36",
            "Chrome",
            False,
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox", False),
        ("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15", "Safari", False),
        (GOOGLEBOT, "Bot", True),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Bot", True),
        ("Wget/1.21.3", "HTTP library", True),
        ("python-requests/2.32.3", "HTTP library", True),
        ("", "", True),
    ],
)
def test_apps_are_named_from_the_user_agent(user_agent, app, is_bot):
    assert identify(user_agent) == (identify(user_agent).__class__(app=app, is_bot=is_bot))


def test_ipv6_is_cut_to_64_bits_before_hashing():
    assert ip_network_part("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64"
    assert ip_network_part("203.0.113.7") == "203.0.113.7"
    assert ip_network_part("not an address") == "unknown"
    same = client_keys("2001:db8:1:2::1", APPLE)
    assert same == client_keys("2001:db8:1:2:ffff::9", APPLE)
    assert same != client_keys("2001:db8:1:3::1", APPLE)


def test_the_log_never_stores_the_address(long_episode):
    served = _served(Req(), long_episode)
    record_request(episode=long_episode, served=served, ip=IP, user_agent="x" * 1000, now=T0)
    row = DownloadRequest.objects.get()
    stored = " ".join(str(value) for value in DownloadRequest.objects.values().get().values())
    assert IP not in stored and "203.0.113" not in stored
    assert len(row.ip_hash) == 32 and len(row.user_agent) == 255  # a keyed hash; a truncated user agent
    assert (row.method, row.status, row.range_start, row.range_end, row.bytes_sent) == (
        "GET", 200, 0, served.size - 1, served.size,
    )  # fmt: skip


def test_a_personal_feed_listener_is_credited_with_the_download(long_episode, learner):
    record_request(
        episode=long_episode,
        served=_served(Req(), long_episode),
        ip=IP,
        user_agent=APPLE,
        user=learner,
        now=T0,
    )
    assert Download.objects.get().user == learner
    assert DownloadRequest.objects.get().user == learner


def test_window_restarts_after_a_counted_download_expires(long_episode):
    for after in (timedelta(0), timedelta(hours=25)):
        record_request(
            episode=long_episode, served=_served(Req(span=half), long_episode), ip=IP, user_agent=APPLE,
            now=T0 + after,
        )  # fmt: skip
        record_request(
            episode=long_episode, served=_served(Req(span=rest), long_episode), ip=IP, user_agent=APPLE,
            now=T0 + after + timedelta(minutes=5),
        )  # fmt: skip
    assert Download.objects.count() == 2
    assert ByteCoverage.objects.count() == 1  # one row per client and episode, reused


def test_a_request_recorded_late_belongs_to_the_download_it_preceded(long_episode):
    # Buffered writers in two processes may record an earlier request after a later one.
    for after in (timedelta(minutes=10), timedelta(0)):
        record_request(
            episode=long_episode, served=_served(Req(), long_episode), ip=IP, user_agent=APPLE, now=T0 + after
        )
    assert Download.objects.count() == 1


# --- through the real audio view ---------------------------------------------------------------------


def _get(client, episode, *, ua=APPLE, ip=IP, method="get", **headers):
    extra = {"REMOTE_ADDR": ip}
    if ua is not None:
        extra["HTTP_USER_AGENT"] = ua
    extra.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    response = getattr(client, method)(episode.get_audio_url(), **extra)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


def test_http_apple_probe_then_whole_file_counts_once(client, long_episode):
    assert _get(client, long_episode, range="bytes=0-1").status_code == 206
    assert Download.objects.count() == 0
    assert _get(client, long_episode, range="bytes=0-").status_code == 206
    assert _get(client, long_episode).status_code == 200  # the same listener again: deduplicated
    assert Download.objects.get().app == "Apple Podcasts"
    assert DailyEpisodeDownloads.objects.get().count == 1
    assert list(DownloadRequest.objects.order_by("id").values_list("status", "range_start", "range_end")) == [
        (206, 0, 1),
        (206, 0, long_episode.audio.size - 1),
        (200, 0, long_episode.audio.size - 1),
    ]


def test_http_split_ranges_count_once(client, long_episode):
    threshold = download_threshold(long_episode, long_episode.audio.size)
    middle = threshold // 2
    assert _get(client, long_episode, range=f"bytes=0-{middle}").status_code == 206
    assert Download.objects.count() == 0
    assert _get(client, long_episode, range=f"bytes={middle + 1}-{threshold - 1}").status_code == 206
    assert _get(client, long_episode, range=f"bytes={threshold}-").status_code == 206
    assert Download.objects.count() == 1


def test_http_head_304_416_bots_and_no_user_agent_are_logged_not_counted(client, long_episode):
    etag = _get(client, long_episode, method="head").headers["ETag"]
    assert _get(client, long_episode, if_none_match=etag).status_code == 304
    assert _get(client, long_episode, range="bytes=999999999-").status_code == 416
    assert _get(client, long_episode, ua=GOOGLEBOT).status_code == 200
    assert _get(client, long_episode, ua=None).status_code == 200
    assert list(DownloadRequest.objects.order_by("id").values_list("method", "status", "is_bot")) == [
        ("HEAD", 200, False),
        ("GET", 304, False),
        ("GET", 416, False),
        ("GET", 200, True),
        ("GET", 200, True),
    ]
    assert Download.objects.count() == 0
    assert not DailyEpisodeDownloads.objects.exists()


def test_http_ipv6_clients_in_one_64_are_one_listener(client, long_episode):
    _get(client, long_episode, ip="2001:db8:aa:bb::1")
    _get(client, long_episode, ip="2001:db8:aa:bb:1234::99")
    _get(client, long_episode, ip="2001:db8:aa:cc::1")
    assert Download.objects.count() == 2


def test_http_behind_nginx_the_decided_range_is_recorded(client, long_episode):
    with override_settings(PODCASTCME_X_ACCEL_REDIRECT_PREFIX="/protected-media/"):
        response = _get(client, long_episode, range="bytes=0-")
    assert response.headers["X-Accel-Redirect"].startswith("/protected-media/")
    assert DownloadRequest.objects.get().range_start == 0
    assert Download.objects.count() == 1


def test_http_a_hosts_preview_of_a_draft_is_not_an_audience(client, podcast, host):
    draft = episode_create(
        show=podcast,
        actor=host,
        title="Draft",
        audio=SimpleUploadedFile("d.mp3", make_audio(5.0).read_bytes()),
    )
    mfa_login(client, host)
    assert _get(client, draft).status_code == 200
    assert not DownloadRequest.objects.exists()


def test_http_buffered_requests_are_recorded_in_bulk_with_the_same_rules(client, long_episode):
    # A long interval: the writer thread stays asleep and the test flushes in its own transaction.
    with override_settings(PODCASTCME_COUNT_BUFFER_SECONDS=3600):
        _get(client, long_episode, range="bytes=0-1")
        _get(client, long_episode, range="bytes=0-")
        _get(client, long_episode, range="bytes=0-")
        _get(client, long_episode, ip="2001:db8::1", range="bytes=0-")
        _get(client, long_episode, ua=GOOGLEBOT)
    assert not DownloadRequest.objects.exists()  # nothing written while the listener waits
    assert flush_pending() == 5
    assert DownloadRequest.objects.count() == 5
    assert Download.objects.count() == 2
    assert DailyEpisodeDownloads.objects.get().count == 2
    assert flush_pending() == 0


def test_http_counting_can_be_switched_off(client, long_episode):
    with override_settings(PODCASTCME_COUNT_DOWNLOADS=False):
        assert _get(client, long_episode).status_code == 200
    assert not DownloadRequest.objects.exists()


# --- the host dashboard ------------------------------------------------------------------------------


def _count(episode, *, ip, ua=APPLE, days_ago=0):
    from django.utils import timezone

    served = _served(Req(), episode)
    record_request(
        episode=episode, served=served, ip=ip, user_agent=ua, now=timezone.now() - timedelta(days_ago)
    )


def _dashboard(client, show, query=""):
    return client.get(reverse("episodes:host_show_analytics", args=[show.slug]) + query)


def test_dashboard_shows_counts_chart_episodes_and_apps(host_client, podcast, long_episode, short_episode):
    for n in range(3):
        _count(long_episode, ip=f"198.51.100.{n + 1}")
    _count(long_episode, ip="198.51.100.9", ua=OVERCAST, days_ago=2)
    _count(short_episode, ip="198.51.100.9", ua=GOOGLEBOT)  # never counted
    _count(long_episode, ip="198.51.100.10", days_ago=40)  # outside the 30 days
    response = _dashboard(host_client, podcast)
    assert response.status_code == 200
    page = response.content.decode()
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg and "Downloads per day, last 30 days" in svg
    assert svg.count("<rect") == 30
    assert "4 downloads counted" in page
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>[^<]*</td>\s*<td>(\d+)</td>\s*<td>(\d+)</td>", page)
    assert rows == [("Ninety seconds of airway", "4", "5"), ("Ten seconds of airway", "0", "0")]
    apps = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", page.split('id="apps-heading"')[1])
    assert apps == [("Apple Podcasts", "3"), ("Overcast", "1")]
    week = _dashboard(host_client, podcast, "?days=90").content.decode()
    assert "5 downloads counted" in week


@pytest.mark.parametrize("value", ["abc", "0", "-7", "31", "", "9" * 40, "7.5"])
def test_dashboard_bad_days_fall_back_to_30(host_client, podcast, value):
    response = _dashboard(host_client, podcast, f"?days={value}")
    assert response.status_code == 200
    assert "last 30 days" in response.content.decode()
    assert parse_days(value) == 30


def test_dashboard_days_switch(host_client, podcast):
    page = _dashboard(host_client, podcast, "?days=7").content.decode()
    assert page.count("<rect") == 7
    assert 'href="?days=7" aria-current="page"' in page


def test_dashboard_escapes_episode_titles(host_client, podcast, host):
    _upload(podcast, host, "<script>alert(1)</script>", 2.0)
    page = _dashboard(host_client, podcast).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_dashboard_of_another_hosts_show_is_404(client, make_user, podcast):
    other_show = show_create(
        host=None,
        data={
            "title": "Other",
            "slug": "other",
            "description": "Another show.",
            "author": "Someone",
            "owner_name": "Someone",
            "owner_email": "other@example.org",
        },
    )
    stranger = make_user("stranger@example.org")
    ShowHost.objects.create(show=other_show, user=stranger)
    mfa_login(client, stranger)
    assert _dashboard(client, podcast).status_code == 404
    assert _dashboard(client, other_show).status_code == 200


def test_dashboard_for_a_learner_is_403_and_for_anonymous_a_login(client, learner, podcast):
    assert _dashboard(client, podcast).status_code == 302
    client.force_login(learner)
    assert _dashboard(client, podcast).status_code == 403


def test_dashboard_query_count_does_not_grow_with_traffic(host_client, podcast, long_episode, short_episode):
    _dashboard(host_client, podcast)  # warm up the session and MFA lookups
    with CaptureQueriesContext(connection) as quiet:
        _dashboard(host_client, podcast)
    for n in range(20):
        _count(long_episode if n % 2 else short_episode, ip=f"192.0.2.{n + 1}", days_ago=n)
    _upload(podcast, podcast.hosts.first(), "A third episode", 2.0)
    with CaptureQueriesContext(connection) as busy:
        _dashboard(host_client, podcast, "?days=90")
    assert len(busy) == len(quiet)
    assert not any("downloadrequest" in query["sql"].lower() for query in busy.captured_queries)


# --- demo history ------------------------------------------------------------------------------------


def test_demo_history_goes_through_the_counting_rules_and_is_idempotent(podcast, long_episode, short_episode):
    recorded = seed_demo_downloads(show=podcast, days=4, now=T0)
    assert recorded == DownloadRequest.objects.count() > 0
    apps = set(Download.objects.values_list("app", flat=True))
    assert len(apps) >= 3
    assert DownloadRequest.objects.filter(is_bot=True).exists()
    assert DownloadRequest.objects.filter(method="HEAD").exists()
    assert Download.objects.count() < DownloadRequest.objects.filter(is_bot=False, method="GET").count()
    assert sum(DailyEpisodeDownloads.objects.values_list("count", flat=True)) == Download.objects.count()
    assert seed_demo_downloads(show=podcast, days=4, now=T0) == 0
    assert DownloadRequest.objects.count() == recorded
