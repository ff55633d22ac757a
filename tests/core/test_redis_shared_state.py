"""Several app nodes sharing their state in Redis (REDIS_URL): two real gunicorn nodes, one real
redis-server, one database (docs/shared-state.md).

Each node is its own process (its own memory, its own Redis connections): what one node knows
reaches the other only through Redis or the database, as on two machines.
"""

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from episodes import services
from episodes.models import Episode, EpisodePerson
from testkit.factories import PASSWORD, make_episode, make_show, make_user
from testkit.redis import RedisServer, redis_server  # noqa: F401 (the fixture)
from testkit.servers import ROOT, Server, gunicorn, shared_database

pytestmark = pytest.mark.django_db(transaction=True)

RECHECK_SECONDS = 1
VERIFY_LIMIT = 4
HEALTHZ_TOKEN = "probe-token-0123456789"
BUILT = re.compile(r"Feed (\S+) built: ")


def _node_settings(url: str) -> str:
    return (
        "from podcastcme.settings.base import redis_caches\n"
        f"REDIS_URL = {url!r}\n"
        "CACHES = redis_caches(REDIS_URL)\n"
        'SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"\n'
        f"PODCASTCME_FEED_RECHECK_SECONDS = {RECHECK_SECONDS}\n"
        f"PODCASTCME_VERIFY_LOOKUPS_PER_MINUTE = {VERIFY_LIMIT}\n"
        f"PODCASTCME_HEALTHZ_TOKEN = {HEALTHZ_TOKEN!r}\n"
        # Each rebuild is logged at INFO (the nodes log at WARNING otherwise): the tests count them.
        'LOGGING["loggers"]["episodes.feeds"] = {"level": "INFO"}\n'
    )


@dataclass
class Cluster:
    a: Server
    b: Server
    redis: RedisServer

    def url(self, node: Server, path: str) -> str:
        return f"http://127.0.0.1:{node.port}{path}"

    def builds(self, slug: str) -> int:
        """Feed builds of ``slug`` logged by both nodes so far."""
        return sum(BUILT.findall(node.log_text()).count(slug) for node in (self.a, self.b))


@pytest.fixture
def cluster(request, tmp_path, redis_server):  # noqa: F811
    with shared_database(request, tmp_path) as database_url:
        extra = _node_settings(redis_server.url)
        with gunicorn(database_url, tmp_path, extra_settings=extra) as a:
            with gunicorn(database_url, tmp_path, extra_settings=extra) as b:
                yield Cluster(a, b, redis_server)


def _feed(cluster: Cluster, node: Server, slug: str) -> requests.Response:
    response = requests.get(cluster.url(node, f"/shows/{slug}/feed.xml"), timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response


def _add_episodes(show, count: int) -> None:
    """``count`` more public episodes, in bulk (a feed that takes a while to build)."""
    now = timezone.now()
    rows = Episode.objects.bulk_create(
        Episode(show=show, title=f"Case {n}: the difficult airway", slug=f"case-{n}", guid=str(uuid.uuid4()),
                notes_html="<p>Plan A to D, and <strong>front-of-neck access</strong>.</p>",
                audio=f"audio/{show.slug}/x.mp3", audio_mime="audio/mpeg", audio_size=1000 + n,
                audio_duration=1800.0, audio_bitrate=64000, status=Episode.Status.PUBLISHED,
                publish_at=now - timedelta(days=n + 2), season=1, number=n)
        for n in range(1, count + 1)
    )  # fmt: skip
    EpisodePerson.objects.bulk_create(
        EpisodePerson(episode=row, name=f"Dr Guest {n}", role="guest", position=0)
        for n, row in enumerate(rows)
    )
    services.show_update(show=show, actor=None, data={})  # content_changed_at after the bulk rows


def _title(response: requests.Response) -> str:
    match = re.search(r"<channel><title>([^<]*)</title>", response.text)
    assert match, response.text[:300]
    return match.group(1)


# --- the feed -------------------------------------------------------------------------------------


def test_a_feed_change_made_through_node_a_is_served_by_node_b_from_node_a_s_build(cluster):
    show = make_show()
    make_episode(show)
    first = _feed(cluster, cluster.a, show.slug)
    assert _feed(cluster, cluster.b, show.slug).headers["ETag"] == first.headers["ETag"]
    assert cluster.builds(show.slug) == 1  # node B served node A's copy

    # The host renames the show (the service node A runs for the host's form) and checks the feed
    # on node A; node B has answered from its own copy a moment before.
    services.show_update(show=show, actor=None, data={"title": "Airway Rounds, second series"})
    time.sleep(RECHECK_SECONDS + 0.1)
    assert _title(_feed(cluster, cluster.a, show.slug)) == "Airway Rounds, second series"
    changed = time.monotonic()

    while _title(response := _feed(cluster, cluster.b, show.slug)) != "Airway Rounds, second series":
        assert time.monotonic() - changed < RECHECK_SECONDS + 1, "node B still serves the old feed"
        time.sleep(0.05)
    assert response.headers["ETag"] != first.headers["ETag"]
    assert cluster.builds(show.slug) == 2  # the change was built once, by node A


def test_after_a_change_the_feed_is_rebuilt_once_across_nodes_and_threads(cluster):
    show = make_show()
    _add_episodes(show, 300)
    before = _feed(cluster, cluster.a, show.slug).headers["ETag"]
    _feed(cluster, cluster.b, show.slug)
    assert cluster.builds(show.slug) == 1

    services.show_update(show=show, actor=None, data={"title": "Airway Rounds, second series"})
    time.sleep(RECHECK_SECONDS + 0.1)  # both nodes now ask the database on their next poll
    # A poll storm right after the change: four podcast apps at once on each node (4 threads each).
    start = threading.Barrier(8)
    etags: list[str] = []

    def poll(node: Server) -> None:
        start.wait()
        etags.append(_feed(cluster, node, show.slug).headers["ETag"])

    threads = [threading.Thread(target=poll, args=(node,)) for node in [cluster.a, cluster.b] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(etags) == 8 and len(set(etags)) == 1 and etags[0] != before
    assert cluster.builds(show.slug) == 2, "the change must be built once in the whole cluster"


# --- sessions and rate limits ---------------------------------------------------------------------


def _browser() -> requests.Session:
    """A browser reaching the nodes as behind nginx: one site name, whichever node answers (allauth
    keys its per-address limit on the site's domain)."""
    browser = requests.Session()
    browser.headers["Host"] = "cme.example.org"
    return browser


def _form(browser: requests.Session, url: str) -> dict[str, str]:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token
    return {"csrfmiddlewaretoken": token.group(1)}


def _log_in(cluster: Cluster, browser: requests.Session, node: Server, email: str, password: str):
    url = cluster.url(node, "/accounts/login/")
    data = _form(browser, url) | {"login": email, "password": password}
    return browser.post(url, data=data, headers={"Referer": url}, allow_redirects=False, timeout=30)


def test_a_session_started_on_node_a_is_valid_on_node_b_and_ends_everywhere(cluster):
    make_user("ada@example.org", profile=True)
    browser = _browser()
    assert _log_in(cluster, browser, cluster.a, "ada@example.org", PASSWORD).status_code == 302

    learning = browser.get(cluster.url(cluster.b, "/learning/"), allow_redirects=False, timeout=30)
    assert learning.status_code == 200
    assert "ada@example.org" in learning.text or "Ada" in learning.text
    assert cluster.redis.client().keys("podcastcme:*sessions*"), "the session is cached in Redis"

    logout_url = cluster.url(cluster.b, "/accounts/logout/")
    data = _form(browser, logout_url)
    browser.post(logout_url, data=data, headers={"Referer": logout_url}, allow_redirects=False, timeout=30)
    again = browser.get(cluster.url(cluster.a, "/learning/"), allow_redirects=False, timeout=30)
    assert again.status_code == 302 and "/accounts/login/" in again.headers["Location"]


def _same_minute() -> None:
    """The verification limit counts per clock minute: start the lookups well inside one."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def test_certificate_lookups_are_counted_across_nodes(cluster):
    _same_minute()
    statuses = [
        requests.get(cluster.url(node, "/verify/NO-SUCH-CODE.json"), timeout=30).status_code
        for node in [cluster.a, cluster.b] * 3
    ]
    assert statuses[:VERIFY_LIMIT] == [404] * VERIFY_LIMIT
    assert statuses[VERIFY_LIMIT:] == [429, 429]  # each node alone has seen only three


def test_failed_log_ins_are_counted_across_nodes(cluster):
    make_user("ada@example.org", profile=True)
    # allauth: 5 failed log-ins per address in 5 minutes (ACCOUNT_RATE_LIMITS["login_failed"]).
    for node in [cluster.a, cluster.b] * 2 + [cluster.a]:
        failed = _log_in(cluster, _browser(), node, "ada@example.org", "not-the-password")
        assert failed.status_code == 200 and "Too many" not in failed.text
    # Node B has seen two failures only; the right password is still refused there.
    refused = _log_in(cluster, _browser(), cluster.b, "ada@example.org", PASSWORD)
    assert refused.status_code in (200, 429) and "Too many failed login attempts" in refused.text


# --- Redis down -----------------------------------------------------------------------------------


def _cache_healthy(cluster: Cluster, node: Server) -> bool:
    headers = {"Authorization": f"Bearer {HEALTHZ_TOKEN}"}
    report = requests.get(cluster.url(node, "/healthz"), headers=headers, timeout=30).json()
    return report["checks"]["cache"]["ok"]


def test_with_redis_down_feeds_are_served_and_the_rest_fails_fast(cluster):
    show = make_show()
    make_episode(show)
    _feed(cluster, cluster.a, show.slug)
    make_user("ada@example.org", profile=True)
    browser = _browser()
    assert _log_in(cluster, browser, cluster.a, "ada@example.org", PASSWORD).status_code == 302

    assert _cache_healthy(cluster, cluster.b)
    cluster.redis.stop()
    assert not _cache_healthy(cluster, cluster.b)  # /healthz says so: the load balancer can see it
    # Podcast apps keep getting the feed, changes included: each node builds its own copy.
    assert _feed(cluster, cluster.b, show.slug).status_code == 200
    services.show_update(show=show, actor=None, data={"title": "Airway Rounds, second series"})
    time.sleep(RECHECK_SECONDS + 0.1)
    assert _title(_feed(cluster, cluster.a, show.slug)) == "Airway Rounds, second series"
    assert "the shared cache is unavailable" in cluster.a.log_text()

    # What needs the shared state (a session, a rate limit) fails at once, and closed: no lookup
    # goes uncounted, no session is taken for anonymous.
    for path in ["/learning/", "/verify/NO-SUCH-CODE.json"]:
        started = time.monotonic()
        response = browser.get(cluster.url(cluster.b, path), allow_redirects=False, timeout=30)
        assert response.status_code == 500, path
        assert time.monotonic() - started < 3, path


# --- the switch -----------------------------------------------------------------------------------


def _settings_with(env: dict[str, str]) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND']); print(s.CACHES['default'].get('LOCATION')); "
        "print(s.SESSION_ENGINE); print(sorted(s.CACHES))"
    )
    environment = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    environment.update(DJANGO_SETTINGS_MODULE="podcastcme.settings.dev", **env)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split("\n")[:4]


def test_redis_url_switches_caches_and_sessions_to_redis_and_its_absence_keeps_the_embedded_default():
    assert _settings_with({"REDIS_URL": "redis://10.0.0.5:6379/2"}) == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://10.0.0.5:6379/2",
        "django.contrib.sessions.backends.cached_db",
        "['default']",
    ]
    assert _settings_with({}) == [
        "django.core.cache.backends.db.DatabaseCache",
        "podcastcme_cache",
        "django.contrib.sessions.backends.db",
        "['default', 'feeds']",
    ]
