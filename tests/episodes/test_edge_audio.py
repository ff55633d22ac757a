"""Audio at the edge: real nginx with deploy/nginx/ in front of a real gunicorn, and the log ingester.

Public audio is sent by nginx from the app's link tree (the app never sees those requests), personal
feed audio by signed links that expire, and ``ingest_access_log`` turns nginx's JSON log into the
same download counts the app's own path gives for the same requests.
"""

import http.client
import json
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from episodes.analytics.access_log import ingest
from episodes.edge import link_path, signed_audio_path
from episodes.models import AccessLogCursor, DailyEpisodeDownloads, Download, DownloadRequest, Episode
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_revoke, personal_feed_token
from episodes.services import episode_create
from testkit import factories
from testkit.media import make_audio
from testkit.nginx import Nginx, repo_nginx
from testkit.servers import Server, gunicorn, shared_database

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "edge-test-signing-key"
LINK_SECONDS = 2
APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
POCKET = "Pocket Casts/7.60 (Android)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass
class Edge:
    nginx: Nginx
    app: Server
    root: Path


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(port: int, path: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request(method, path, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


def log_lines(nginx: Nginx) -> list[dict]:
    time.sleep(1.2)  # nginx writes the audio lines in blocks at most a second apart (flush=1s)
    return [json.loads(line) for line in nginx.access_log.read_text().splitlines() if line]


def last_line_for(nginx: Nginx, path: str) -> dict:
    deadline = time.monotonic() + 5
    while True:
        found = [line for line in log_lines(nginx) if line["uri"] == path]
        if found or time.monotonic() > deadline:
            assert found, f"no log line for {path}"
            return found[-1]
        time.sleep(0.05)


@pytest.fixture
def edge(request, tmp_path, settings):
    root = tmp_path / "edge"
    root.mkdir()
    settings.PODCASTCME_EDGE_AUDIO_ROOT = str(root)
    settings.PODCASTCME_EDGE_SIGNING_KEY = KEY
    settings.PODCASTCME_EDGE_LINK_SECONDS = LINK_SECONDS
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    extra = (
        f"PODCASTCME_EDGE_AUDIO_ROOT = {str(root)!r}\nPODCASTCME_EDGE_SIGNING_KEY = {KEY!r}\n"
        f"PODCASTCME_EDGE_LINK_SECONDS = {LINK_SECONDS}\nPODCASTCME_COUNT_BUFFER_SECONDS = 0\n"
    )
    with (
        shared_database(request, tmp_path) as database_url,
        gunicorn(database_url, tmp_path, extra_settings=extra) as app,
        repo_nginx(
            tmp_path / "nginx",
            app_port=app.port,
            media_root=Path(django_settings.MEDIA_ROOT),
            edge_root=root,
            signing_key=KEY,
        ) as nginx,
    ):
        yield Edge(nginx=nginx, app=app, root=root)


def _publish(show, title: str = "Ninety seconds of airway", **fields) -> Episode:
    audio = SimpleUploadedFile("upload.mp3", make_audio(90.0, "mp3", bitrate="32k").read_bytes())
    fields.setdefault("status", Episode.Status.PUBLISHED)
    fields.setdefault("publish_at", timezone.now() - timedelta(days=1))
    return episode_create(show=show, actor=None, title=title, audio=audio, **fields)


# --- public audio: nginx sends it, the app never sees it ----------------------------------------------


def test_public_audio_probe_and_range_come_from_nginx_not_the_app(edge):
    episode = _publish(factories.make_show())
    assert os.path.islink(link_path(edge.root, episode))  # made when the publish was committed
    size = episode.audio.size
    url = episode.get_audio_url()

    probe = fetch(edge.nginx.port, url, headers={"Range": "bytes=0-1", "User-Agent": APPLE})
    assert probe.status == 206
    assert probe.body == episode.audio.open("rb").read(2)
    assert probe.headers["content-range"] == f"bytes 0-1/{size}"
    assert probe.headers["content-type"] == "audio/mpeg"
    assert probe.headers["cache-control"] == "public, max-age=86400"
    assert probe.headers["access-control-allow-origin"] == "*"
    assert probe.headers["content-disposition"] == f'inline; filename="{episode.slug}.mp3"'
    mtime = int(Path(episode.audio.path).stat().st_mtime)
    assert probe.headers["etag"] == f'"{mtime:x}-{size:x}"'  # the app's own ETag format

    ranged = fetch(edge.nginx.port, url, headers={"Range": "bytes=1000-50999", "User-Agent": APPLE})
    assert ranged.status == 206 and len(ranged.body) == 50_000
    head = fetch(edge.nginx.port, url, method="HEAD", headers={"Range": "bytes=0-1"})
    assert head.status == 206 and head.body == b""
    same = fetch(edge.nginx.port, url, headers={"If-None-Match": probe.headers["etag"]})
    assert same.status == 304

    # The app was not asked: nginx's log names no upstream, and the app (which logs every public audio
    # request it serves) has logged nothing.
    assert last_line_for(edge.nginx, url)["upstream"] == ""
    assert DownloadRequest.objects.count() == 0
    # And with the app stopped, the audio is still there.
    edge.app.stop()
    again = fetch(edge.nginx.port, url, headers={"Range": "bytes=0-1"})
    assert again.status == 206 and again.headers["content-range"] == f"bytes 0-1/{size}"


def test_drafts_go_to_the_app_and_a_due_episode_gets_its_link_on_its_first_request(edge):
    show = factories.make_show()
    draft = _publish(show, "A draft", status=Episode.Status.DRAFT, publish_at=None)
    assert not os.path.lexists(link_path(edge.root, draft))
    answer = fetch(edge.nginx.port, draft.get_audio_url(), headers={"Range": "bytes=0-1"})
    assert answer.status == 404  # the app's answer: nothing revealed

    # A scheduled episode whose time has come has no link yet (no cron job makes it).
    due = _publish(show, "Due now", publish_at=timezone.now() + timedelta(seconds=2))
    assert not os.path.lexists(link_path(edge.root, due))
    time.sleep(2.2)
    url = due.get_audio_url()
    first = fetch(edge.nginx.port, url, headers={"Range": "bytes=0-1"})
    assert first.status == 206
    assert last_line_for(edge.nginx, url)["upstream"]  # the app answered it...
    assert os.path.islink(link_path(edge.root, due))  # ...and made the link
    second = fetch(edge.nginx.port, url, headers={"Range": "bytes=2-3", "User-Agent": APPLE})
    assert second.status == 206
    assert [line["upstream"] for line in log_lines(edge.nginx) if line["uri"] == url][-1] == ""

    # Back to draft: the link goes when the change is committed.
    due.status = Episode.Status.DRAFT
    due.save()
    assert not os.path.lexists(link_path(edge.root, due))


def test_a_wrong_slug_or_extension_is_not_served_from_the_tree(edge):
    episode = _publish(factories.make_show())
    assert fetch(edge.nginx.port, f"/audio/{episode.pk}/other-slug.mp3").status == 404
    assert fetch(edge.nginx.port, f"/audio/{episode.pk}/{episode.slug}.m4a").status == 404


# --- personal-feed audio: signed links that expire ----------------------------------------------------


def test_personal_feed_audio_is_a_signed_link_nginx_checks_and_revocation_holds_within_seconds(edge):
    show = factories.make_show()
    episode = _publish(show)
    learner = factories.make_user("listener@example.org")
    feed = personal_feed_get_or_create(user=learner, show=show)
    token = personal_feed_token(feed)
    stable = reverse("episodes:personal_audio", args=[token, episode.pk, episode.slug, "mp3"])

    redirect = fetch(edge.nginx.port, stable, headers={"Range": "bytes=0-1", "User-Agent": APPLE})
    assert redirect.status == 302
    signed = urlsplit(redirect.headers["location"]).path
    assert signed.startswith("/private-audio/")
    probe = fetch(edge.nginx.port, signed, headers={"Range": "bytes=0-1", "User-Agent": APPLE})
    assert probe.status == 206 and probe.headers["content-range"] == f"bytes 0-1/{episode.audio.size}"
    assert last_line_for(edge.nginx, signed)["upstream"] == ""  # nginx sent the bytes
    whole = fetch(edge.nginx.port, signed, headers={"User-Agent": APPLE})
    assert whole.status == 200 and len(whole.body) == episode.audio.size

    # A forged signature, another file under the same signature: 403. Nothing under MEDIA_ROOT but audio.
    forged = signed.replace("/private-audio/", "/private-audio/x", 1)
    assert fetch(edge.nginx.port, forged).status == 403
    sig, expires, feed_pk, episode_pk, *rest = signed.removeprefix("/private-audio/").split("/")
    other = f"/private-audio/{sig}/{int(expires) + 3600}/{feed_pk}/{episode_pk}/{'/'.join(rest)}"
    assert fetch(edge.nginx.port, other).status == 403  # a later expiry is not signed

    # Revoked: the stable URL answers 404 at once; the link handed out before expires within seconds.
    personal_feed_revoke(user=learner, show=show)
    assert fetch(edge.nginx.port, stable, headers={"User-Agent": APPLE}).status == 404
    time.sleep(LINK_SECONDS + 1.1)
    assert fetch(edge.nginx.port, signed, headers={"User-Agent": APPLE}).status == 410

    # The downloads through the signed link are the listener's, counted from nginx's log.
    result = ingest([edge.nginx.access_log])
    assert result.counted == 1
    download = Download.objects.get(episode=episode)
    assert download.user == learner
    assert DownloadRequest.objects.filter(user=learner).count() == 2  # the probe and the whole file


def test_an_expired_signed_link_is_410(edge):
    show = factories.make_show()
    episode = _publish(show)
    feed = personal_feed_get_or_create(user=factories.make_user("late@example.org"), show=show)
    old = signed_audio_path(feed, episode, now=time.time() - 2 * LINK_SECONDS - 5)
    assert fetch(edge.nginx.port, old).status == 410


# --- counting from the log: the same counts as the app's own path ------------------------------------


def _scenario(size: int, etag: str) -> list[tuple[str, str, dict[str, str]]]:
    """Requests a day of podcast apps might make: probes, split ranges, repeats, HEAD, 304, 416, bots."""
    half = size // 2
    return [
        (APPLE, "GET", {"Range": "bytes=0-1"}),
        (APPLE, "GET", {"Range": f"bytes=0-{half}"}),
        (APPLE, "GET", {"Range": f"bytes=0-{half}"}),
        (APPLE, "GET", {"Range": f"bytes={half + 1}-"}),
        (APPLE, "GET", {}),
        (OVERCAST, "HEAD", {}),
        (OVERCAST, "GET", {"If-None-Match": etag}),
        (OVERCAST, "GET", {"Range": f"bytes={size + 10}-"}),
        (OVERCAST, "GET", {}),
        (POCKET, "GET", {"Range": "bytes=0-999"}),
        (GOOGLEBOT, "GET", {}),
        ("curl/8.5.0", "GET", {}),
        ("", "GET", {}),
    ]


def _requests_of(episode: Episode) -> list[tuple]:
    return list(
        DownloadRequest.objects.filter(episode=episode)
        .order_by("id")
        .values_list(
            "ip_hash", "user_agent", "app", "is_bot", "method", "status", "range_start", "range_end",
            "bytes_sent", "counted",
        )
    )  # fmt: skip


def _daily_of(episode: Episode) -> list[tuple]:
    return list(
        DailyEpisodeDownloads.objects.filter(episode=episode).order_by("app").values_list("app", "count")
    )


def test_the_ingester_gives_the_same_counts_as_the_app_for_the_same_requests(edge):
    # Two shows of the same title: their episodes' files (tags included) are byte for byte alike.
    in_app = _publish(factories.make_show(slug="airway-rounds"))
    at_edge = _publish(factories.make_show(slug="airway-rounds-mirror"))
    size = in_app.audio.size
    assert at_edge.audio.size == size
    etag_app = fetch(edge.app.port, in_app.get_audio_url(), method="HEAD").headers["etag"]
    etag_edge = fetch(edge.nginx.port, at_edge.get_audio_url(), method="HEAD").headers["etag"]
    DownloadRequest.objects.all().delete()  # those two HEADs were set-up, not the scenario
    start = len(log_lines(edge.nginx))

    statuses = {}
    for port, episode, etag in ((edge.app.port, in_app, etag_app), (edge.nginx.port, at_edge, etag_edge)):
        statuses[port] = [
            fetch(
                port, episode.get_audio_url(), method=method, headers={"User-Agent": agent, **headers}
            ).status
            for agent, method, headers in _scenario(size, etag)
        ]
    assert statuses[edge.app.port] == statuses[edge.nginx.port] == [
        206, 206, 206, 206, 200, 200, 304, 416, 200, 206, 200, 200, 200
    ]  # fmt: skip
    scenario_lines = log_lines(edge.nginx)[start:]
    assert all(line["upstream"] == "" for line in scenario_lines if line["uri"] == at_edge.get_audio_url())
    assert not DownloadRequest.objects.filter(episode=at_edge).exists()  # the app never saw them

    result = ingest([edge.nginx.access_log])
    assert result.recorded == len(_scenario(size, etag_edge)) + 1  # and the set-up HEAD
    DownloadRequest.objects.filter(episode=at_edge, method="HEAD").order_by("id").first().delete()

    assert _requests_of(at_edge) == _requests_of(in_app)
    assert _daily_of(at_edge) == _daily_of(in_app) == [("Apple Podcasts", 1), ("Overcast", 1)]
    assert (
        Download.objects.filter(episode=at_edge).count()
        == Download.objects.filter(episode=in_app).count()
        == 2
    )

    # Running it again records nothing new.
    again = ingest([edge.nginx.access_log])
    assert (again.lines, again.recorded, again.counted) == (0, 0, 0)


def test_a_rotated_log_is_ingested_exactly_once(edge):
    episode = _publish(factories.make_show())
    url = episode.get_audio_url()

    def listen(agent: str, count: int) -> None:
        for n in range(count):
            assert (
                fetch(
                    edge.nginx.port, url, headers={"User-Agent": f"{agent}/{n}", "Range": "bytes=0-1"}
                ).status
                == 206
            )

    listen("Overcast", 3)
    log_lines(edge.nginx)
    call_command("ingest_access_log", str(edge.nginx.access_log), stdout=open(os.devnull, "w"))
    assert DownloadRequest.objects.count() == 3
    listen("Castro", 2)  # written to the file that is about to be rotated
    time.sleep(1.2)  # the buffered audio log (flush=1s)
    rotated = edge.nginx.access_log.with_name(edge.nginx.access_log.name + ".1")
    edge.nginx.access_log.rename(rotated)  # logrotate's rename...
    edge.nginx.reopen_logs()  # ...and its postrotate "nginx -s reopen"
    deadline = time.monotonic() + 5
    while not edge.nginx.access_log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    listen("AntennaPod", 4)  # the new file
    time.sleep(1.2)  # the buffered audio log (flush=1s)

    result = ingest([edge.nginx.access_log])
    assert result.recorded == 6
    assert DownloadRequest.objects.count() == 9
    assert AccessLogCursor.objects.count() == 2
    assert ingest([edge.nginx.access_log]).recorded == 0
    listen("Spotify", 1)
    time.sleep(1.2)  # the buffered audio log (flush=1s)
    assert ingest([edge.nginx.access_log]).recorded == 1
    assert DownloadRequest.objects.count() == 10


# --- the ingester on its own: partial lines, other lines, a file replaced ------------------------------


def _line(episode: Episode, **fields) -> str:
    entry = {
        "time": f"{time.time():.3f}", "ip": "203.0.113.9", "method": "GET", "uri": episode.get_audio_url(),
        "audio": episode.get_audio_url(), "status": 206, "bytes": 2,
        "content_range": f"bytes 0-1/{episode.audio_size}", "content_length": "2", "ua": APPLE,
        "referer": "", "upstream": "", "request_time": 0.0,
        **fields,
    }  # fmt: skip
    return json.dumps(entry) + "\n"


def test_the_ingester_waits_for_a_whole_line_and_skips_what_is_not_nginx_audio(tmp_path, settings):
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    episode = factories.make_episode(factories.make_show())
    log = tmp_path / "access.json"
    with log.open("w") as handle:
        handle.write(_line(episode))
        handle.write("not json\n")
        handle.write(_line(episode, audio="", uri="/shows/x/feed.xml"))  # not audio
        handle.write(_line(episode, upstream="127.0.0.1:8000"))  # the app answered and counted it
        handle.write(_line(episode, audio=f"/audio/{episode.pk}/wrong-slug.mp3"))
        handle.write(_line(episode, audio="/audio/999999/ghost.mp3"))  # no such episode
        handle.write(_line(episode, method="POST", status=405))
        handle.write(_line(episode)[:40])  # nginx is still writing this one
    first = ingest([log])
    assert (first.lines, first.recorded) == (7, 1)
    with log.open("a") as handle:
        handle.write(_line(episode)[40:])
    second = ingest([log])
    assert (second.lines, second.recorded) == (1, 1)
    assert DownloadRequest.objects.filter(episode=episode).count() == 2


def test_a_new_file_at_the_same_path_is_read_from_its_start(tmp_path, settings):
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    episode = factories.make_episode(factories.make_show())
    log = tmp_path / "access.json"
    log.write_text(_line(episode) + _line(episode))
    assert ingest([log]).recorded == 2
    log.unlink()  # e.g. copytruncate or a restore: another file, other lines
    log.write_text(_line(episode, ua=OVERCAST))
    assert ingest([log]).recorded == 1
    assert ingest([log]).recorded == 0


# --- the in-app path: answered before the session middleware -------------------------------------------


def test_public_audio_is_answered_before_the_session_middleware(client, settings):
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    episode = _publish(factories.make_show())
    response = client.get(episode.get_audio_url(), HTTP_RANGE="bytes=0-1")
    assert response.status_code == 206
    assert not hasattr(response.wsgi_request, "session")  # SessionMiddleware never ran
    assert "Vary" not in response or "Cookie" not in response["Vary"]
    assert DownloadRequest.objects.filter(episode=episode).count() == 1  # still counted in the app


# --- the link tree on its own -------------------------------------------------------------------------


def test_sync_edge_audio_rebuilds_the_tree(tmp_path, settings):
    from django.core.management.base import CommandError

    settings.PODCASTCME_EDGE_AUDIO_ROOT = ""
    with pytest.raises(CommandError, match="PODCASTCME_EDGE_AUDIO_ROOT is not set"):
        call_command("sync_edge_audio", stdout=open(os.devnull, "w"))
    show = factories.make_show()
    public = _publish(show)  # made while the tree was off: no link anywhere
    draft = _publish(show, "A draft", status=Episode.Status.DRAFT, publish_at=None)
    root = tmp_path / "edge"
    settings.PODCASTCME_EDGE_AUDIO_ROOT = str(root)
    (root / "audio" / "999999").mkdir(parents=True)  # a deleted episode's folder
    (root / "audio" / "999999" / "gone.mp3").symlink_to("/nonexistent")
    call_command("sync_edge_audio", stdout=open(os.devnull, "w"))
    assert Path(os.path.realpath(link_path(root, public))) == Path(public.audio.path).resolve()
    assert not os.path.lexists(link_path(root, draft))
    assert not (root / "audio" / "999999").exists()
    public.delete()
    assert not os.path.lexists(link_path(root, public))  # deleting an episode takes its link out


def test_the_repository_config_carries_the_documented_redaction_maps():
    # One set of maps: docs/deploy-nginx.md shows them (tests/core/test_log_redaction.py runs that block),
    # deploy/nginx/podcastcme-http.conf is what gets deployed and what the tests above run.
    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "deploy-nginx.md").read_text()
    start = docs.index("# --- podcastcme: redacted access log (http block) ---")
    end = docs.index("# --- end of the redacted access log ---", start)
    assert docs[start:end] in (root / "deploy" / "nginx" / "podcastcme-http.conf").read_text()


# --- feeds: nginx answers polls from its cache, revalidated with the app ------------------------------


def test_feed_polls_are_answered_from_nginx_cache_and_a_new_episode_shows_within_seconds(edge):
    show = factories.make_show()
    _publish(show, "First case")
    url = show.get_feed_url()
    first = fetch(edge.nginx.port, url)
    assert first.status == 200 and b"First case" in first.body
    etag = first.headers["etag"]
    again = fetch(edge.nginx.port, url)
    assert again.headers["x-cache-status"] == "HIT" and again.body == first.body
    polled = fetch(edge.nginx.port, url, headers={"If-None-Match": etag})
    assert polled.status == 304 and polled.headers["x-cache-status"] == "HIT"
    assert polled.headers["etag"] == etag
    gzipped = fetch(edge.nginx.port, url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert fetch(edge.nginx.port, url, headers={"Accept-Encoding": "gzip"}).headers["x-cache-status"] == "HIT"
    hits = [line for line in log_lines(edge.nginx) if line["uri"] == url][1:3]
    assert [line["upstream"] for line in hits] == ["", ""]  # answered without the app

    _publish(show, "Second case")
    deadline = time.monotonic() + 10
    while b"Second case" not in fetch(edge.nginx.port, url).body:
        assert time.monotonic() < deadline, "the new episode never reached nginx's copy of the feed"
        time.sleep(0.5)
    changed = fetch(edge.nginx.port, url, headers={"If-None-Match": etag})
    assert changed.status == 200  # the old ETag no longer matches


def test_personal_feeds_are_never_kept_in_nginx_cache(edge):
    show = factories.make_show()
    _publish(show)
    feed = personal_feed_get_or_create(user=factories.make_user("private@example.org"), show=show)
    url = reverse("episodes:personal_feed", args=[personal_feed_token(feed), show.slug])
    for _ in range(2):
        answer = fetch(edge.nginx.port, url)
        assert answer.status == 200 and "x-cache-status" not in answer.headers
    personal_feed_revoke(user=feed.user, show=show)
    assert fetch(edge.nginx.port, url).status == 404  # at once


def test_metrics_are_never_served_through_the_site(edge):
    """Prometheus scrapes each node directly with its token (docs/deploy.md); the site answers 404
    without asking the app, so a leaked token is no use from outside."""
    answer = fetch(edge.nginx.port, "/metrics", headers={"Authorization": "Bearer " + "x" * 40})
    assert answer.status == 404
    assert last_line_for(edge.nginx, "/metrics")["upstream"] == ""


def test_ingest_access_log_refuses_a_missing_folder_and_a_negative_interval(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such folder"):
        call_command("ingest_access_log", str(tmp_path / "nowhere" / "access.json"))
    with pytest.raises(CommandError, match="--every cannot be negative"):
        call_command("ingest_access_log", str(tmp_path / "access.json"), "--every", "-1")
    assert not AccessLogCursor.objects.exists()


def test_ingest_access_log_says_what_it_did(tmp_path, settings):
    import io

    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    episode = factories.make_episode(factories.make_show())
    log = tmp_path / "access.json"
    log.write_text(_line(episode) + "not json\n")
    out = io.StringIO()
    call_command("ingest_access_log", str(log), stdout=out)
    assert out.getvalue().strip() == "2 new log lines, 1 audio requests recorded, 0 downloads counted."


def test_an_unwritable_link_tree_never_costs_a_listener_their_audio(client, settings, tmp_path):
    settings.PODCASTCME_COUNT_BUFFER_SECONDS = 0
    episode = _publish(factories.make_show())
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the tree should be")
    settings.PODCASTCME_EDGE_AUDIO_ROOT = str(blocked)
    response = client.get(episode.get_audio_url(), HTTP_RANGE="bytes=0-1")
    assert response.status_code == 206
