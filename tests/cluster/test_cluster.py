"""The cluster test (issue 14, item 4; docs/cluster-test.md): the production shape on loopback.

PostgreSQL, Redis, an S3 server, two gunicorn nodes behind nginx with the repository's config, the
task worker and the access-log ingester (testkit/cluster.py). A host uploads an episode through
nginx; podcast apps poll the feed and fetch the audio; learners take the post-test, evaluate and
claim credit, their pages answered by both nodes in turn; node A (the one that took the upload) is
killed with SIGKILL while learners are mid-way, and everything carries on through nginx to node B;
certificates are rendered by the worker and downloaded through node B. Afterwards nothing is lost,
the download counts are what was sent, and every certificate exists exactly once.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from django.db.models import Sum
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from credits.models import Certificate, CreditClaim, Option
from episodes.models import Episode, ShowHost
from episodes.models.access_log import AccessLogCursor
from episodes.models.downloads import DailyEpisodeDownloads, Download, DownloadRequest
from testkit.cluster import Cluster, Visitor, running_cluster, wait_for
from testkit.factories import (
    PASSWORD,
    grant_show,
    make_activity,
    make_coordinator,
    make_provider,
    make_show,
    make_user,
)
from testkit.media import audio_bytes
from testkit.mfa import give_totp, totp_now
from testkit.pdf import pdf_text

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PODCAST_APPS = [
    "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)",
    "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
    "PocketCasts/1.0 (Pocket Casts Feed Parser; +http://pocketcasts.com/)",
    "AntennaPod/3.4.0",
    "Spotify/8.9.10 iOS/17.4 (iPhone15,3)",
    "Castro 2024.5/1234 CFNetwork/1494.0.7 Darwin/23.4.0",
    "Podcast Addict - Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)",
]
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
EVALUATION = {
    "objectives_met": "5",
    "relevant_to_practice": "4",
    "free_of_bias": "5",
    "intends_change": "yes",
    "change_description": "Use a supraglottic airway earlier",
    "comments": "",
}
OPTION = re.compile(
    r'<input type="radio" name="(q_\d+)" id="[^"]*" value="([^"]+)"[^>]*>\s*<label[^>]*>([^<]*)</label>'
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPT = re.compile(r'name="attempt" value="(\d+)"')
CERTIFICATE_LINK = re.compile(r'href="(/certificates/(\d+)/pdf/)"')
LEARNERS_BEFORE, LEARNERS_DURING = 4, 6


@pytest.fixture
def cluster(request, tmp_path):
    with running_cluster(request, tmp_path) as running:
        yield running


class Traffic:
    """What the test sent, counted as it is sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.audio_requests = 0  # requests for the audio through nginx (each answered by a node)
        self.downloads = 0  # distinct clients (address + user agent, not bots) that fetched the file
        self.claimed: list[str] = []  # learners whose claim was answered with their certificate
        self.feed_polls: list[int] = []  # the status of every feed poll
        self.lockouts: list[str] = []  # learners whose log-in was refused after the kill (_log_in)

    def add(self, **counts) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


# --- the host --------------------------------------------------------------------------------------


LOCKED_OUT = "Too many failed login attempts"


def _log_in(visitor: Visitor, email: str, *, totp_secret: str | None = None, traffic=None) -> None:
    """allauth's pages: password, then (hosts, coordinators) the authenticator's code.

    A log-in that node A died in the middle of can leave allauth's rate-limit lock for that address
    and email in Redis (``cache.add``, 10 seconds); until it expires, any node answers "Too many
    failed login attempts" (allauth waits 1 s for the lock, then refuses). The learner tries again,
    as a person would; ``traffic.lockouts`` keeps who, and the test checks that each of them had a
    log-in cut off by the kill.
    """
    token = visitor.form_token("/accounts/login/")
    form = {"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD}
    answer = visitor.insist("POST", "/accounts/login/", data=form)
    if answer.status_code == 200 and LOCKED_OUT in answer.text and traffic is not None:
        with traffic.lock:
            traffic.lockouts.append(email)

        def again():
            form["csrfmiddlewaretoken"] = visitor.form_token("/accounts/login/")
            retry = visitor.insist("POST", "/accounts/login/", data=form)
            return retry if retry.status_code != 200 or LOCKED_OUT not in retry.text else None

        answer = wait_for("the rate-limit lock of a killed log-in to expire", again, timeout=30, every=1)
    assert answer.status_code == 302, (email, answer.status_code, _main_text(answer.text))
    if totp_secret is None:
        return
    assert "/accounts/2fa/authenticate/" in answer.headers["Location"]
    for _try in range(2):  # a code computed in the last instant of its 30-second step: the next one
        token = visitor.form_token("/accounts/2fa/authenticate/")
        form = {"csrfmiddlewaretoken": token, "code": totp_now(totp_secret)}
        answer = visitor.insist("POST", "/accounts/2fa/authenticate/", data=form)
        if answer.status_code == 302:
            return
    raise AssertionError(f"two-factor step refused: {answer.status_code} {answer.text[:500]}")


def _main_text(html: str) -> str:
    """The words of the page's main part (for an assertion message)."""
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())[:1500]


def _upload(cluster: Cluster, host: Visitor, show_slug: str, audio: bytes) -> str:
    """The host's upload form, through nginx; returns the node that answered (nginx's upstream)."""
    path = f"/host/shows/{show_slug}/episodes/new/"
    form = {
        "csrfmiddlewaretoken": host.form_token(path),
        "title": "Awake tracheal intubation",
        "notes": "Topicalisation, sedation and the plan when it fails.",
        "episode_type": "full",
        "status": "published",
        "persons-TOTAL_FORMS": "0",
        "persons-INITIAL_FORMS": "0",
    }
    answer = host.request("POST", path, data=form, files={"audio": ("awake.mp3", audio, "audio/mpeg")})
    assert answer.status_code == 302, (answer.status_code, answer.text[:1000])
    line = wait_for(
        "nginx's log line of the upload",
        lambda: next((e for e in cluster.access_log() if e["method"] == "POST" and e["uri"] == path), None),
    )
    assert line["status"] == 302
    return line["upstream"]


# --- podcast apps ------------------------------------------------------------------------------------


def _enclosure(app: Visitor, feed_path: str, traffic: Traffic) -> tuple[str, int]:
    feed = app.insist("GET", feed_path)
    assert feed.status_code == 200, feed.text[:300]
    traffic.feed_polls.append(feed.status_code)
    match = re.search(r'<enclosure url="([^"]+)" length="(\d+)" type="audio/mpeg"', feed.text)
    assert match, feed.text[:1000]
    again = app.insist("GET", feed_path, headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code in (200, 304)
    traffic.feed_polls.append(again.status_code)
    return unescape(match.group(1)), int(match.group(2))


def _listen(app: Visitor, url: str, length: int, traffic: Traffic, *, counted: bool) -> None:
    """The player's probe (bytes 0-1), then the whole file: one download for a new client."""
    probe = app.request("GET", url, headers={"Range": "bytes=0-1"}, allow_redirects=True)
    assert probe.status_code == 206 and len(probe.content) == 2, probe.status_code
    whole = app.request("GET", url, allow_redirects=True)
    assert whole.status_code == 200 and len(whole.content) == length
    assert whole.content[:3] == b"ID3"  # the stored, tagged file: from the bucket
    traffic.add(audio_requests=2, downloads=1 if counted else 0)


def _podcast_apps(cluster: Cluster, feed_path: str, traffic: Traffic, apps: range) -> None:
    """Each app (an address and user agent of its own) polls the feed and downloads the episode;
    around them, requests that must not count (IAB): a repeat, a HEAD, a bot."""
    for n in apps:
        app = Visitor(cluster, f"127.0.2.{n + 1}", PODCAST_APPS[n])
        url, length = _enclosure(app, feed_path, traffic)
        _listen(app, url, length, traffic, counted=True)
        if n % 3 == 0:
            _listen(app, url, length, traffic, counted=False)  # the same client again within 24 h
        if n % 3 == 1:
            head = app.request("HEAD", url, allow_redirects=True)
            assert head.status_code == 200
            traffic.add(audio_requests=1)
        app.close()
    bot = Visitor(cluster, f"127.0.3.{apps.start + 1}", BOT)
    url, length = _enclosure(bot, feed_path, traffic)
    _listen(bot, url, length, traffic, counted=False)
    bot.close()


def _counts_recorded(episode: Episode, traffic: Traffic) -> bool:
    """Every audio request the nodes answered is in the request log (their buffers are flushed)."""
    return DownloadRequest.objects.filter(episode=episode).count() >= traffic.audio_requests


# --- learners ----------------------------------------------------------------------------------------


def _take_credit(
    visitor: Visitor,
    email: str,
    activity_id: int,
    right: dict[str, str],
    traffic: Traffic,
    evaluated_event: threading.Event | None = None,
):
    """Post-test, evaluation and claim through the real pages; a step a dying node failed is sent
    again (``insist``), and the pages answer a repeated step with what was already done.
    ``evaluated_event`` is set once the evaluation is in (the moment the test kills node A)."""
    post_test = f"/activities/{activity_id}/post-test/"
    page = visitor.insist("GET", post_test)
    assert page.status_code == 200, (page.status_code, page.text[:500])
    answers = {
        name: value for name, value, label in OPTION.findall(page.text) if right.get(name) == unescape(label)
    }
    assert len(answers) == len(right), page.text[:2000]
    csrf, attempt = CSRF.search(page.text), ATTEMPT.search(page.text)
    assert csrf and attempt, page.text[:2000]
    form = {"csrfmiddlewaretoken": csrf.group(1), "attempt": attempt.group(1)}
    answered = visitor.insist("POST", post_test, data={**form, **answers})
    assert answered.status_code in (302, 409), answered.text[:500]  # 409: the lost answer had been scored

    evaluation = f"/activities/{activity_id}/evaluation/"
    token = visitor.form_token(evaluation)
    evaluated = visitor.insist("POST", evaluation, data={"csrfmiddlewaretoken": token, **EVALUATION})
    assert evaluated.status_code == 302 and evaluated.headers["Location"].endswith("/claim/"), evaluated.text[
        :500
    ]

    if evaluated_event is not None:
        evaluated_event.set()
    claim = f"/activities/{activity_id}/claim/"
    token = visitor.form_token(claim)
    claimed = visitor.insist(
        "POST", claim, data={"csrfmiddlewaretoken": token, "minutes": "45", "attest": "on"}
    )
    # Claimed: on to the certificate's verification page (issue 15). Not followed here, so each
    # learner still makes nine requests and the claims alternate between the nodes.
    assert claimed.status_code == 302 and "/verify/" in claimed.headers["Location"], claimed.text[:1000]
    with traffic.lock:
        traffic.claimed.append(email)


def _certificate(cluster: Cluster, visitor: Visitor) -> tuple[int, bytes]:
    """The learner reloads My learning until the certificate's button is there, then downloads it."""
    link = wait_for(
        "the certificate's download button",
        lambda: CERTIFICATE_LINK.search(visitor.insist("GET", "/learning/").text),
        timeout=90,
        every=0.5,
    )
    pdf = visitor.insist("GET", link.group(1), allow_redirects=True)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert [r.status_code for r in pdf.history] == [
        302,
        302,
    ]  # the page, then the signed link, then the bucket
    return int(link.group(2)), pdf.content


# --- the scenario --------------------------------------------------------------------------------------


def test_the_cluster_loses_nothing_when_a_node_dies(cluster):
    provider = make_provider()
    coordinator = make_coordinator(provider)
    show = make_show()
    grant_show(show, provider)
    host_user = make_user("host@example.org")
    ShowHost.objects.create(show=show, user=host_user)
    secret = give_totp(host_user)
    emails = [f"learner-{n}@example.org" for n in range(LEARNERS_BEFORE + LEARNERS_DURING)]
    for email in emails:
        make_user(email, profile=True)
    traffic = Traffic()

    # 1. The host logs in (password and authenticator code) and uploads an episode through nginx.
    host = Visitor(cluster, "127.0.1.1", FIREFOX)
    _log_in(host, "host@example.org", totp_secret=secret)
    audio = audio_bytes(20.0, "mp3")
    node_a = cluster.node_named(_upload(cluster, host, show.slug, audio))
    (node_b,) = [node for node in cluster.nodes if node is not node_a]
    episode = Episode.objects.get(show=show)
    assert episode.audio.name in cluster.bucket_keys()  # stored in the bucket, not on node A's disk
    activity = make_activity(provider=provider, episode=episode, coordinator=coordinator)
    right = {
        f"q_{question}": text
        for question, text in Option.objects.filter(question__activity=activity, is_correct=True).values_list(
            "question_id", "text"
        )
    }

    # 2. Podcast apps poll the feed and download the episode (both nodes answer them).
    feed_path = f"/shows/{show.slug}/feed.xml"
    _podcast_apps(cluster, feed_path, traffic, range(0, 4))

    # 3. Learners one after another: nginx alternates the nodes request by request, so every step is
    #    answered by the other node than the step before (the session lives in Redis). Each learner
    #    makes nine requests (log-in page and form, My learning, then two per step), so the claims
    #    themselves alternate between the nodes too.
    for email in emails[:LEARNERS_BEFORE]:
        visitor = Visitor(cluster, _address(email), FIREFOX)
        _log_in(visitor, email)
        assert visitor.insist("GET", "/learning/").status_code == 200
        _take_credit(visitor, email, activity.pk, right, traffic)
        visitor.close()

    # 4. Node A dies (SIGKILL: master and worker) while more learners are mid-way (the first of
    #    them has just sent the evaluation; the others are logging in, answering, claiming) and an
    #    app polls the feed. Its one-second counting buffer is flushed first: a SIGKILL loses what
    #    the buffer holds (docs/download-counting.md), and losing no audio request is the claim here.
    wait_for("the audio requests in the request log", lambda: _counts_recorded(episode, traffic), timeout=30)
    started = threading.Event()
    stop_polling = threading.Event()

    def learner(email: str) -> None:
        visitor = Visitor(cluster, _address(email), FIREFOX)
        _log_in(visitor, email, traffic=traffic)
        _take_credit(visitor, email, activity.pk, right, traffic, evaluated_event=started)
        visitor.close()

    def poll_feed() -> None:
        app = Visitor(cluster, "127.0.4.1", PODCAST_APPS[0])
        while not stop_polling.is_set():
            traffic.feed_polls.append(app.request("GET", feed_path).status_code)
            stop_polling.wait(0.05)  # an app polling often, not a flood
        app.close()

    poller = threading.Thread(target=poll_feed)
    poller.start()
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            running = [pool.submit(learner, email) for email in emails[LEARNERS_BEFORE:]]
            assert started.wait(60)
            cluster.kill(node_a)
            killed_at = time.time()
            for future in running:
                future.result(timeout=120)
    finally:
        stop_polling.set()
        poller.join(30)

    # 5. More podcast apps download the episode, now through node B only.
    _podcast_apps(cluster, feed_path, traffic, range(4, len(PODCAST_APPS)))

    # 6. The worker renders the certificates; each learner downloads theirs (node B answers).
    certificates = {}
    for email in emails:
        visitor = Visitor(cluster, _address(email), FIREFOX)
        _log_in(visitor, email, traffic=traffic)
        certificates[email] = _certificate(cluster, visitor)
        visitor.close()

    # 7. nginx writes the audio lines it holds; the ingester (running every second) reads to the end.
    cluster.flush_access_log()
    wait_for(
        "nginx's log lines of every audio request (not testkit.nginx's start-up probe, from 127.0.0.1)",
        lambda: (
            sum(1 for e in cluster.access_log() if e["audio"] and e["ip"] != "127.0.0.1")
            == traffic.audio_requests
        ),
        timeout=30,
    )
    wait_for(
        "the ingester to read nginx's whole log",
        lambda: AccessLogCursor.objects.filter(offset=cluster.nginx.access_log.stat().st_size).exists(),
        timeout=30,
    )
    wait_for("every audio request recorded", lambda: _counts_recorded(episode, traffic), timeout=30)
    rerun = cluster.manage("ingest_access_log", str(cluster.nginx.access_log))
    assert rerun.returncode == 0

    # The host's statistics page (their session began on node A) shows what the apps downloaded.
    analytics = host.insist("GET", f"/host/shows/{show.slug}/analytics/")
    assert analytics.status_code == 200
    assert f"{traffic.downloads} downloads counted" in " ".join(analytics.text.split())

    log = cluster.access_log()
    _assert_nodes(log, node_a, node_b, emails, killed_at)
    for email in traffic.lockouts:  # only where node A died in the middle of that learner's log-in
        cut = [e for e in log if e["ip"] == _address(email) and e["uri"] == "/accounts/login/"]
        assert any(e["method"] == "POST" and e["status"] == 502 for e in cut), (email, cut)
    _assert_downloads(episode, traffic)
    _assert_claims_and_certificates(cluster, activity, emails, certificates, traffic)
    assert traffic.feed_polls and set(traffic.feed_polls) <= {200, 304}, traffic.feed_polls  # never an error
    assert episode.audio.name in cluster.bucket_keys()
    assert cluster.worker.poll() is None and cluster.ingester.poll() is None, cluster.logs()


def _address(email: str) -> str:
    return f"127.0.5.{int(email.split('-')[1].split('@')[0]) + 1}"


def _assert_nodes(log: list[dict], node_a, node_b, emails: list[str], killed_at: float) -> None:
    a, b = f"127.0.0.1:{node_a.port}", f"127.0.0.1:{node_b.port}"
    # Before the kill, each of the first learners' consecutive pages came from the two nodes in turn.
    for email in emails[:LEARNERS_BEFORE]:
        served = [entry["upstream"] for entry in log if entry["ip"] == _address(email)][:9]
        assert len(served) == 9 and set(served) == {a, b}, (email, served)
        assert all(x != y for x, y in zip(served, served[1:], strict=False)), (email, served)
    # ... and so did their claims.
    claims = [e["upstream"] for e in log if e["method"] == "POST" and e["uri"].endswith("/claim/")]
    first = claims[:LEARNERS_BEFORE]
    assert set(first) == {a, b} and all(x != y for x, y in zip(first, first[1:], strict=False)), claims
    # After the kill node B answered everything that was answered ("A, B": nginx tried A, then B;
    # a 502 is a request A had when it died, sent again by its learner).
    after = [e for e in log if float(e["time"]) > killed_at and e["upstream"]]
    assert after and all(e["upstream"].split(", ")[-1] == b for e in after if e["status"] != 502), after
    certificate_pages = [e for e in log if e["uri"].startswith("/certificates/")]
    assert certificate_pages and {e["upstream"].split(", ")[-1] for e in certificate_pages} == {b}


def _assert_downloads(episode: Episode, traffic: Traffic) -> None:
    assert DownloadRequest.objects.filter(episode=episode).count() == traffic.audio_requests
    assert Download.objects.filter(episode=episode).count() == traffic.downloads
    daily = DailyEpisodeDownloads.objects.filter(episode=episode).aggregate(total=Sum("count"))["total"]
    assert daily == traffic.downloads


def _assert_claims_and_certificates(
    cluster: Cluster, activity, emails, certificates, traffic: Traffic
) -> None:
    assert sorted(traffic.claimed) == sorted(emails)  # every learner's claim led to their certificate
    claims = CreditClaim.objects.filter(activity=activity)
    assert sorted(claims.values_list("learner__email", flat=True)) == sorted(emails)  # each exactly once
    issued = list(Certificate.objects.filter(claim__activity=activity).select_related("claim__learner"))
    assert len(issued) == len(emails) and len({c.number for c in issued}) == len(emails)
    keys = cluster.bucket_keys()
    for certificate in issued:
        email = certificate.claim.learner.email
        number, pdf = certificates[email]
        assert number == certificate.pk
        assert certificate.pdf.name in keys
        assert pdf == cluster.bucket_read(certificate.pdf.name)
        assert pdf.startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert certificate.number in text and certificate.learner_name in text
    renders = DBTaskResult.objects.filter(task_path__endswith="render_certificate")
    assert renders.count() >= len(emails)
    assert not renders.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    assert all(result.worker_ids for result in renders)  # rendered by the worker, not in a request
