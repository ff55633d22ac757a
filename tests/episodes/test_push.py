"""Push updates against a local hub: a real HTTP server on 127.0.0.1 records what our real client sends.

WebSub hubs get ``POST hub.mode=publish&hub.url=<feed>``, podping endpoints ``GET ?url=<feed>`` with
the token; a burst of edits makes one ping; failures are retried with back-off, then logged; the
host's edit never waits for a hub; personal feeds are never announced.
"""

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks import default_task_backend
from lxml import etree

from episodes import push, services
from episodes.feeds import forget_built_feeds
from episodes.moving import MoveRefused, move_show_away, stop_announcing_new_feed_url, undo_move
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_regenerate, personal_feed_url
from podcastcme.settings.base import env_seconds, env_urls
from testkit import factories
from testkit.loopback import LoopbackServer, QuietHandler
from testkit.servers import free_port

pytestmark = pytest.mark.django_db

TOKEN = "Blahblah^^12345678"  # podping.cloud's documented test token
QUEUE = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
ATOM = "{http://www.w3.org/2005/Atom}"
PODCAST = "{https://podcastindex.org/namespace/1.0}"


class Hub:
    """A hub on 127.0.0.1 that records every request; ``answers`` are its statuses in turn (the last
    repeats) and ``delay`` how long it sits on each request before answering."""

    def __init__(self, answers: tuple[int, ...] = (204,), delay: float = 0.0):
        self.requests: list[dict] = []
        self.answers = list(answers)
        self.delay = delay
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                hub.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qs(parts.query),
                        "form": parse_qs(body),
                        "headers": dict(self.headers),
                    }  # fmt: skip
                )
                status = hub.answers.pop(0) if len(hub.answers) > 1 else hub.answers[0]
                time.sleep(hub.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True  # a request still sleeping does not hold the test's end
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str = "/hub") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hubs():
    started: list[Hub] = []

    def start(*answers: int, delay: float = 0.0) -> Hub:
        hub = Hub(answers or (204,), delay)
        started.append(hub)
        return hub

    yield start
    for hub in started:
        hub.stop()


@pytest.fixture
def queue(settings):
    """Tasks wait in a queue, as for the worker in production, until the test runs them."""
    settings.TASKS = QUEUE
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def _configure(settings, hubs=(), podpings=(), **extra) -> None:
    settings.PODCASTCME_WEBSUB_HUBS = list(hubs)
    settings.PODCASTCME_PODPING_URLS = list(podpings)
    settings.PODCASTCME_PODPING_TOKEN = TOKEN if podpings else ""
    settings.PODCASTCME_PUSH_TIMEOUT_SECONDS = 0.3
    for name, value in extra.items():
        setattr(settings, name, value)
    forget_built_feeds()


def _run_queued(queue) -> list:
    """Run what is queued now, as the worker would; returns those results (with their run_after)."""
    results, queue.results = list(queue.results), []
    for result in results:
        result.task.call(*result.args, **result.kwargs)
    return results


def _edit(show, title: str, capture) -> None:
    with capture(execute=True):
        services.show_update(show=show, actor=None, data={"title": title})


# --- the feed declares where it is announced ---------------------------------------------------------


def test_the_public_feed_declares_its_hubs_and_podping_and_a_personal_feed_does_not(
    client, settings, show, learner, published_episode
):
    feed_path = reverse("episodes:feed", args=[show.slug])
    root = etree.fromstring(client.get(feed_path).content)
    assert root.find(f"channel/{ATOM}link[@rel='hub']") is None
    assert root.find(f"channel/{PODCAST}podping") is None

    _configure(settings, hubs=["https://hub.example.org/", "https://pubsubhubbub.appspot.com/"],
               podpings=["https://podping.cloud/"])  # fmt: skip
    root = etree.fromstring(client.get(feed_path).content)
    assert [link.get("href") for link in root.findall(f"channel/{ATOM}link[@rel='hub']")] == [
        "https://hub.example.org/",
        "https://pubsubhubbub.appspot.com/",
    ]
    assert root.find(f"channel/{ATOM}link[@rel='self']").get("href") == show.feed_url
    assert root.find(f"channel/{PODCAST}podping").get("usesPodping") == "true"

    personal = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    private = etree.fromstring(client.get(personal.removeprefix("http://testserver")).content)
    assert private.find(f"channel/{ATOM}link[@rel='hub']") is None
    assert private.find(f"channel/{PODCAST}podping") is None


# --- one ping for a burst of edits -------------------------------------------------------------------


def test_a_burst_of_edits_makes_one_ping_per_target_after_the_window(
    settings, show, hubs, queue, django_capture_on_commit_callbacks
):
    websub, podping = hubs(), hubs(200)
    _configure(settings, hubs=[websub.url()], podpings=[podping.url("/")])
    episode = factories.make_audio_episode(show, seconds=1.0)

    before = timezone.now()
    for n in range(3):
        _edit(show, f"Airway Rounds {n}", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.episode_update(episode=episode, actor=None, data={"title": "Renamed"})
    # Nothing sent while the host edits: one ping waits for the end of the window.
    assert websub.requests == [] and podping.requests == []
    (queued,) = queue.results
    assert queued.task.run_after - before >= timedelta(seconds=61)
    assert queued.task.run_after - before < timedelta(seconds=63)

    _run_queued(queue)
    (hub_ping,) = websub.requests
    assert hub_ping["method"] == "POST" and hub_ping["path"] == "/hub"
    assert hub_ping["form"] == {"hub.mode": ["publish"], "hub.url": [show.feed_url]}
    assert hub_ping["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert hub_ping["headers"]["User-Agent"].startswith("podcastcme")
    (ping,) = podping.requests
    assert ping["method"] == "GET" and ping["query"] == {"url": [show.feed_url]}
    assert ping["headers"]["Authorization"] == TOKEN
    assert queue.results == []  # no retry

    # After the window, the next change opens a new one.
    push.cache.delete(f"podcastcme:push:{show.pk}")
    _edit(show, "Airway Rounds again", django_capture_on_commit_callbacks)
    assert len(queue.results) == 1


def test_a_rolled_back_change_announces_nothing(
    settings, show, hubs, queue, django_capture_on_commit_callbacks
):
    _configure(settings, hubs=[hubs().url()])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(ValidationError):
            services.show_update(show=show, actor=None, data={"owner_email": "not an address"})
    assert callbacks == [] and queue.results == []


def test_without_targets_nothing_is_queued(settings, show, queue, django_capture_on_commit_callbacks):
    _configure(settings)
    _edit(show, "Quiet", django_capture_on_commit_callbacks)
    assert queue.results == []


def test_a_scheduled_episode_is_announced_when_it_becomes_public(
    settings, show, hubs, queue, django_capture_on_commit_callbacks
):
    _configure(settings, hubs=[hubs().url()])
    due = timezone.now() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        factories.make_audio_episode(show, seconds=1.0, publish_at=due)
    run_afters = sorted(result.task.run_after for result in queue.results)
    assert len(run_afters) == 2  # the change now (it shows on the host's pages), and the moment due
    assert run_afters[1] == due + timedelta(seconds=1)
    # Another edit before then does not add a second ping for the same moment.
    push.cache.delete(f"podcastcme:push:{show.pk}")
    _edit(show, "Renamed before the release", django_capture_on_commit_callbacks)
    assert sorted(r.task.run_after for r in queue.results)[-1] == due + timedelta(seconds=1)
    assert len(queue.results) == 3


def test_a_drafts_changes_are_not_announced_until_it_is_published(
    settings, show, hubs, queue, django_capture_on_commit_callbacks
):
    # A draft is not in the public feed: making and editing one tells no hub; publishing it does.
    _configure(settings, hubs=[hubs().url()])
    with django_capture_on_commit_callbacks(execute=True):
        draft = factories.make_audio_episode(show, seconds=1.0, status="draft", publish_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.episode_update(episode=draft, actor=None, data={"title": "Still a draft"})
    assert queue.results == []
    with django_capture_on_commit_callbacks(execute=True):
        services.episode_update(episode=draft, actor=None, data={"status": "published"})
    assert len(queue.results) == 1


# --- failures: retried with back-off, then logged; publishing never waits --------------------------


def test_a_failing_hub_is_retried_with_back_off_then_given_up_and_logged(
    settings, show, hubs, queue, caplog, django_capture_on_commit_callbacks
):
    down = hubs(500)
    _configure(settings, hubs=[down.url()])
    _edit(show, "Renamed", django_capture_on_commit_callbacks)
    delays = []
    with caplog.at_level(logging.WARNING, logger="episodes.push"):
        while queue.results:
            started = timezone.now()
            for result in _run_queued(queue):
                assert result.args[1] == [["websub", down.url()]]
            delays += [r.task.run_after - started for r in queue.results]
    assert len(down.requests) == push.MAX_ATTEMPTS
    minutes = [round(delay.total_seconds() / 60) for delay in delays]
    assert minutes == [1, 2, 4, 8, 16]
    assert "did not take the ping" in caplog.text and "HTTP 500" in caplog.text
    gave_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(gave_up) == 1 and f"after {push.MAX_ATTEMPTS} tries" in gave_up[0].getMessage()


def test_only_the_failed_target_is_retried_and_a_recovered_hub_takes_the_retry(
    settings, show, hubs, queue, django_capture_on_commit_callbacks
):
    flaky, healthy = hubs(503, 204), hubs()
    _configure(settings, hubs=[flaky.url(), healthy.url()])
    _edit(show, "Renamed", django_capture_on_commit_callbacks)
    _run_queued(queue)
    (retry,) = queue.results
    assert list(retry.args) == [show.pk, [["websub", flaky.url()]], 2]
    _run_queued(queue)
    assert queue.results == []
    assert len(flaky.requests) == 2 and len(healthy.requests) == 1


def test_a_silent_hub_and_a_refused_connection_cost_the_timeout_and_never_the_hosts_page(
    settings, show, host_client, hubs, queue, django_capture_on_commit_callbacks
):
    silent = hubs(delay=3.0)
    refused = f"http://127.0.0.1:{free_port()}/hub"  # nothing listens there
    _configure(settings, hubs=[silent.url(), refused])
    form = {"title": "Renamed by the host", "description": show.description, "author": show.author,
            "owner_name": show.owner_name, "owner_email": show.owner_email, "language": "en",
            "category": "Health & Fitness", "subcategory": "Medicine", "show_type": "episodic"}  # fmt: skip
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client.post(reverse("episodes:host_show_edit", args=[show.slug]), form)
    assert response.status_code == 302
    assert time.monotonic() - started < 1.0  # the page did not wait for any hub
    show.refresh_from_db()
    assert show.title == "Renamed by the host"

    started = time.monotonic()
    (result,) = _run_queued(queue)
    assert time.monotonic() - started < 1.5  # bounded by the 0.3 s timeout, not the hub's 3 s
    (retry,) = queue.results
    assert sorted(url for _, url in retry.args[1]) == sorted([silent.url(), refused])


def test_a_refusal_is_logged_at_once_and_not_retried(
    settings, show, hubs, queue, caplog, django_capture_on_commit_callbacks
):
    podping = hubs(401)
    _configure(settings, podpings=[podping.url("/?reason=update")])
    _edit(show, "Renamed", django_capture_on_commit_callbacks)
    with caplog.at_level(logging.ERROR, logger="episodes.push"):
        _run_queued(queue)
    assert queue.results == []
    assert podping.requests[0]["query"] == {"reason": ["update"], "url": [show.feed_url]}
    assert "refused the ping" in caplog.text and "HTTP 401" in caplog.text
    assert TOKEN not in caplog.text  # the token is never logged


def test_with_the_immediate_backend_the_ping_is_sent_at_commit(
    settings, show, hubs, django_capture_on_commit_callbacks
):
    hub = hubs()
    _configure(settings, hubs=[hub.url()])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.show_update(show=show, actor=None, data={"title": "Renamed"})
    assert hub.requests == []  # not inside the transaction
    for callback in callbacks:
        callback()
    assert [r["form"]["hub.url"] for r in hub.requests] == [[show.feed_url]]


# --- personal feeds are private ----------------------------------------------------------------------


def test_personal_feeds_are_never_announced(
    settings, show, learner, hubs, queue, django_capture_on_commit_callbacks
):
    hub = hubs()
    _configure(settings, hubs=[hub.url()], podpings=[hub.url("/podping")])
    with django_capture_on_commit_callbacks(execute=True):
        personal_feed_get_or_create(user=learner, show=show)
        feed = personal_feed_regenerate(user=learner, show=show)
    assert queue.results == []  # a private feed changing is nobody's business
    _edit(show, "Renamed", django_capture_on_commit_callbacks)
    _run_queued(queue)
    sent = [r["form"].get("hub.url") or r["query"].get("url") for r in hub.requests]
    assert sent == [[show.feed_url], [show.feed_url]]
    token_path = personal_feed_url(feed).split("/p/")[1].split("/")[0]
    assert all(token_path not in str(r) for r in hub.requests)


# --- bad settings stop start-up ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("PODCASTCME_WEBSUB_HUBS", "hub.example.org"), ("PODCASTCME_WEBSUB_HUBS", "https://ok.example/, ftp://x/"),
     ("PODCASTCME_PODPING_URLS", "https://pod ping.cloud/")],
)  # fmt: skip
def test_a_hub_or_podping_url_that_is_not_http_is_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(Exception, match=f"{name}: .* is not an http:// or https:// URL"):
        env_urls(name)


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_bad_number_of_seconds_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("PODCASTCME_PUSH_DEBOUNCE_SECONDS", value)
    with pytest.raises(Exception, match="PODCASTCME_PUSH_DEBOUNCE_SECONDS must be a number of seconds"):
        env_seconds("PODCASTCME_PUSH_DEBOUNCE_SECONDS", 60)


def test_podping_without_its_token_stops_start_up():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "podcastcme.settings.test",
           "PODCASTCME_PODPING_URLS": "https://podping.cloud/", "PODCASTCME_PODPING_TOKEN": ""}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert (
        "ImproperlyConfigured: PODCASTCME_PODPING_URLS is set: PODCASTCME_PODPING_TOKEN must be"
        in done.stderr
    )


# --- moving a show away changes its public feed -------------------------------------------------------


def test_a_move_away_and_its_undo_are_announced_after_their_commit(
    settings, show, host, hubs, queue, django_capture_on_commit_callbacks
):
    hub = hubs()
    _configure(settings, hubs=[hub.url()], PODCASTCME_PUSH_DEBOUNCE_SECONDS=0)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        move_show_away(show=show, actor=host, new_feed_url="https://feeds.newhost.example/airway.xml")
    assert queue.results == []  # nothing while the move's transaction is open
    for callback in callbacks:
        callback()
    (queued,) = queue.results
    assert list(queued.args) == [show.pk, [["websub", hub.url()]], 1]
    _run_queued(queue)
    # The old feed's URL: a hub that fetches it now gets the 301 and itunes:new-feed-url at once.
    assert [r["form"]["hub.url"] for r in hub.requests] == [[show.feed_url]]

    with django_capture_on_commit_callbacks(execute=True):
        undo_move(show=show, actor=host)
    _run_queued(queue)
    assert [r["form"]["hub.url"] for r in hub.requests] == [[show.feed_url], [show.feed_url]]


def test_a_refused_move_announces_nothing(settings, show, hubs, queue, django_capture_on_commit_callbacks):
    _configure(settings, hubs=[hubs().url()])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(MoveRefused):
            move_show_away(show=show, actor=None, new_feed_url="http://not-secure.example/feed.xml")
        with pytest.raises(MoveRefused):
            undo_move(show=show, actor=None)  # it never moved
    assert callbacks == [] and queue.results == []


def test_withdrawing_a_new_feed_url_announced_without_a_move_is_announced(
    settings, show, host, hubs, queue, django_capture_on_commit_callbacks
):
    _configure(settings, hubs=[hubs().url()], PODCASTCME_PUSH_DEBOUNCE_SECONDS=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.show_update(
            show=show, actor=None, data={"new_feed_url": "https://mirror.example.org/feed.xml"}
        )
    queue.results = []
    with django_capture_on_commit_callbacks(execute=True):
        stop_announcing_new_feed_url(show=show, actor=host)
    assert [result.args[0] for result in queue.results] == [show.pk]


def test_a_redirecting_podping_is_refused_and_its_token_goes_nowhere_else(settings):
    """urllib would follow the redirect with the Authorization header (the podping token)."""
    elsewhere_seen: list[dict] = []

    class Elsewhere(QuietHandler):
        def do_GET(self):
            elsewhere_seen.append(dict(self.headers))
            self.send_response(204)
            self.end_headers()

    elsewhere = LoopbackServer(Elsewhere)

    class Redirecting(QuietHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", elsewhere.url("/collect"))
            self.send_header("Content-Length", "0")
            self.end_headers()

    podping = LoopbackServer(Redirecting)
    try:
        settings.PODCASTCME_PODPING_TOKEN = TOKEN
        with pytest.raises(push.PingRefused, match="HTTP 302 \\(a redirect: not followed\\)"):
            push._ping(push.PODPING, podping.url("/"), "https://example.org/feed.xml", 2.0)
    finally:
        podping.stop()
        elsewhere.stop()
    assert elsewhere_seen == []
