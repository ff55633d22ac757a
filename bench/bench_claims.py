"""200 learners, 20 at a time, take the post-test, evaluate and claim credit against gunicorn.

The server is gunicorn (3 sync workers, persistent database connections and the production task
queue, as the README deploys it) on a database of its own: a ``bench_claims`` database created in
the PostgreSQL cluster of DATABASE_URL (``make bench`` runs under scripts/with-postgres.sh), or a
temporary SQLite file when DATABASE_URL is not PostgreSQL (the row names say which). A subprocess
migrates it and seeds an activity with a three-question
post-test, 1,000 prior claims by other learners, and the bench learners with a logged-in session
each; it also counts the SQL queries of the post-test page and of a claim at 1 and at 1,000 prior
claims. The load generator is a pool of 20 threads; each learner loads the post-test, submits the
correct answers, submits the evaluation and claims credit, every request timed. The load generator
runs on the same machine as the server and the database, and competes with them for the CPUs.
"""

import concurrent.futures
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from bench import Row
from bench._server import stop
from testkit.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
LEARNERS = 200
CONCURRENCY = 20
SEQUENTIAL = 10  # learners run one after another first: warm-up and the single-learner baseline
WORKERS = 3
GOAL_P95_MS = 150.0
DB_NAME = "bench_claims"

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPT_FIELD = re.compile(r'name="attempt" value="(\d+)"')
OPTION_FIELD = re.compile(
    r'<input type="radio" name="(q_\d+)" id="[^"]*" value="([^"]+)"[^>]*>\s*<label[^>]*>([^<]*)</label>'
)
EVALUATION = {
    "objectives_met": "5",
    "relevant_to_practice": "4",
    "free_of_bias": "5",
    "intends_change": "yes",
    "change_description": "Use a supraglottic airway earlier",
    "comments": "",
}


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, latency_ms: float) -> None:
        with self.lock:
            self.latencies_ms.append(latency_ms)
            self.by_step.setdefault(step, []).append(latency_ms)

    def summary(self) -> str:
        return ", ".join(
            f"{step} p50 {_percentile(values, 50):.0f} / p95 {_percentile(values, 95):.0f} ms"
            for step, values in self.by_step.items()
        )

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Browser:
    """One learner's HTTP client: a keep-alive connection and a cookie jar, every request timed."""

    def __init__(self, port: int, session_key: str, results: Results):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {"sessionid": session_key}
        self.results = results

    def request(
        self, step: str, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        # http.client reconnects by itself when the server closed the connection after a response
        # (gunicorn's sync workers answer "Connection: close"); a failure is an error, not retried.
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.results.add(step, (time.perf_counter() - started) * 1000)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ("", '""'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return response.status, text

    def close(self) -> None:
        self.conn.close()


def learner_path(port: int, seed: dict, session_key: str, results: Results) -> bool:
    """Post-test page, answers, evaluation, claim; True when every step answered as it should."""
    urls = seed["urls"]
    browser = Browser(port, session_key, results)
    try:
        status, html = browser.request("page", "GET", urls["post_test"])
        csrf, attempt = CSRF_FIELD.search(html), ATTEMPT_FIELD.search(html)
        if status != 200 or not csrf or not attempt:
            results.error(f"post-test page: HTTP {status}, form {'found' if csrf and attempt else 'missing'}")
            return False
        token = csrf.group(1)
        # The values are this attempt's tokens: pick the radio whose label is the right answer.
        right = {f"q_{q}": text for q, text in seed["correct"].items()}
        answers = {
            name: value
            for name, value, label in OPTION_FIELD.findall(html)
            if right.get(name) == unescape(label)
        }
        status, _html = browser.request(
            "answers",
            "POST",
            urls["post_test"],
            {"csrfmiddlewaretoken": token, "attempt": attempt.group(1), **answers},
        )
        if status != 302:
            results.error(f"answers: HTTP {status}, expected 302")
            return False
        status, _html = browser.request(
            "evaluation", "POST", urls["evaluation"], {"csrfmiddlewaretoken": token, **EVALUATION}
        )
        if status != 302:
            results.error(f"evaluation: HTTP {status}, expected 302")
            return False
        status, html = browser.request(
            "claim", "POST", urls["claim"], {"csrfmiddlewaretoken": token, "minutes": "45", "attest": "on"}
        )
        if status != 302:  # claimed: redirected to the certificate's verification page (issue 15)
            results.error(f"claim: HTTP {status}, expected 302")
            return False
        return True
    except Exception as exc:  # every failure is counted, not only the first
        results.error(f"{type(exc).__name__}: {exc}")
        return False
    finally:
        browser.close()


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; NaN when nothing was measured (every request failed to connect)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def _database(work: Path, name: str = DB_NAME) -> tuple[str, str, Callable[[], None]]:
    """(DATABASE_URL of the bench database, label, cleanup); a database of its own in the same server."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{work / 'bench.sqlite3'}", "SQLite tmp", lambda: None
    from django.db import connection

    with connection.cursor() as cursor:  # Django's connection autocommits: CREATE DATABASE works
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")

    def drop():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), "PostgreSQL", drop


def _start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as output:  # the server's log (one line per claim) is printed only on errors
        server = subprocess.Popen(
            [gunicorn, "podcastcme.wsgi", "-b", f"127.0.0.1:{port}", "--workers", str(WORKERS),
             "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/", headers={"Host": "127.0.0.1"})
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    server.wait()
    raise RuntimeError("gunicorn did not answer within 60 s")


def run() -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix="podcastcme-bench-claims-"))
    server = None
    drop = None
    try:
        url, label, drop = _database(work)
        (work / "media").mkdir()
        # Test settings, but background tasks go to the database queue as in production: a claim
        # enqueues its certificate for the worker instead of rendering it inside the request.
        (work / "bench_claims_settings.py").write_text(
            "from podcastcme.settings.test import *  # noqa\n"
            'TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}\n'
        )
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="bench_claims_settings",
            DATABASE_URL=url,
            MEDIA_ROOT=str(work / "media"),
            PYTHONPATH=os.pathsep.join([str(work), str(ROOT)]),
            DB_CONN_MAX_AGE=os.environ.get("DB_CONN_MAX_AGE", "60"),  # as the README deploys it
        )
        python = sys.executable
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        seed_file = work / "seed.json"
        started = time.perf_counter()
        subprocess.run(
            [python, "-m", "bench._claims_seed", "seed", str(seed_file), str(SEQUENTIAL + LEARNERS)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        seed = json.loads(seed_file.read_text())
        print(f"  seeded on {label} in {time.perf_counter() - started:.1f} s", flush=True)
        sessions = seed["sessions"]

        port = free_port()
        server = _start_server(env, port, work / "gunicorn.log")

        warm = Results()
        started = time.perf_counter()
        sequential_ok = sum(learner_path(port, seed, key, warm) for key in sessions[:SEQUENTIAL])
        sequential_rate = sequential_ok / (time.perf_counter() - started)

        results = Results()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            done = list(pool.map(lambda key: learner_path(port, seed, key, results), sessions[SEQUENTIAL:]))
        elapsed = time.perf_counter() - started
        completed = sum(done)
        rate = completed / elapsed

        verified = json.loads(
            subprocess.run(
                [python, "-m", "bench._claims_seed", "verify", str(seed["activity"])],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        expected = sequential_ok + completed
        for what, count in verified.items():
            if count != expected:
                results.error(f"{what}: {count} rows for {expected} completed learners")
        errors = len(results.errors) + len(warm.errors)
        for message in sorted(set(results.errors + warm.errors)):
            print(f"  error: {message}", flush=True)
        if errors:
            print((work / "gunicorn.log").read_text(errors="replace")[-4000:], flush=True)
        print(f"  one learner at a time: {warm.summary()}", flush=True)
        print(f"  {CONCURRENCY} at a time: {results.summary()}", flush=True)
        print(
            f"  {completed}/{LEARNERS} learners in {elapsed:.1f} s, {len(results.latencies_ms)} requests; "
            f"sequential warm-up {sequential_ok}/{SEQUENTIAL}; rows in the database: {verified}",
            flush=True,
        )
        p50 = _percentile(results.latencies_ms, 50)
        p95 = _percentile(results.latencies_ms, 95)
        q = seed["queries"]
        where = f"{WORKERS} workers, {label}"
        return [
            Row(
                name=f"claims: learners/s, {CONCURRENCY} at a time ({where})",
                value=rate,
                baseline=sequential_rate,
                unit="/s",
                goal=">= 1 at a time",
                ok=rate >= sequential_rate,
            ),
            Row(
                name=f"claims: p50 latency/request, {CONCURRENCY} at a time (vs 1)",
                value=p50,
                baseline=_percentile(warm.latencies_ms, 50),
                unit="ms",
                goal="(informational)",
                ok=True,
            ),
            Row(  # informational (issue 14, item 10): on 2 shared cores it measures the load
                # generator as much as the server; the learner path's ratios are
                # bench_learner_path.py's figures
                name=f"claims: p95 latency/request, {CONCURRENCY} at a time ({label})",
                value=p95,
                baseline=None,
                unit="ms",
                goal=f"(informational; {GOAL_P95_MS:g} ms)",
                ok=True,
            ),
            Row(
                name=f"claims: errors ({LEARNERS} learners, 4 requests each)",
                value=errors,
                baseline=None,
                unit="",
                goal="0",
                ok=errors == 0 and completed == LEARNERS,
            ),
            Row(
                name=f"claims: SQL queries, post-test page at {q['prior_many']:,} prior claims",
                value=q["many"]["post_test"],
                baseline=q["few"]["post_test"],
                unit="",
                goal=f"= at {q['prior_few']} prior claim",
                ok=q["many"]["post_test"] == q["few"]["post_test"],
            ),
            Row(
                name=f"claims: SQL queries, claim at {q['prior_many']:,} prior claims",
                value=q["many"]["claim"],
                baseline=q["few"]["claim"],
                unit="",
                goal=f"= at {q['prior_few']} prior claim",
                ok=q["many"]["claim"] == q["few"]["claim"],
            ),
        ]
    finally:
        if server is not None:
            stop(server)
        try:
            if drop is not None:
                drop()
        finally:
            shutil.rmtree(work, ignore_errors=True)
