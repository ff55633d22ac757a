"""Each step of the learner's path against its floor (issue 14, item 7), one learner at a time.

The server is gunicorn as in bench/bench_claims.py (3 sync workers, persistent database
connections, the production task queue) on a database of its own, seeded the same way (an
activity with 1,000 prior claims). Its URLConf is bench/floor_urls.py: the product's URLs plus the
floor, bench/floor.py, a login-required view that inserts one row and answers with a small page
from base.html: the same stack, nothing of the product's work. Learners go one after another
through the post-test page, the answers, the evaluation and the claim, and after each step the
same learner posts to the floor, so drift on the shared machine touches both alike. Each figure is
a step's median over the learners against the floor's median (goal: at most 2.5 times the floor).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

from bench import Row
from bench._server import stop
from bench.bench_claims import (
    ATTEMPT_FIELD,
    CSRF_FIELD,
    EVALUATION,
    OPTION_FIELD,
    ROOT,
    Browser,
    Results,
    _database,
    _start_server,
)
from testkit.servers import free_port

DB_NAME = "bench_learner_path"
WARM_UP = 5  # learners whose figures are left out (the workers' first requests, cold caches)
LEARNERS = 40
GOAL_RATIO = 2.5
FLOOR_PATH = "/bench-floor/"
STEPS = (
    ("page", "post-test page (GET, starts an attempt)"),
    ("answers", "answers submitted (POST, scored)"),
    ("evaluation", "evaluation (POST)"),
    ("claim", "claim (POST, certificate row issued)"),
)


def _path_with_floor(port: int, seed: dict, session_key: str, results: Results) -> None:
    """One learner's path, each step followed by a floor request; raises on any wrong answer."""
    urls = seed["urls"]
    browser = Browser(port, session_key, results)
    try:

        def floor(token: str) -> None:
            status, _html = browser.request("floor", "POST", FLOOR_PATH, {"csrfmiddlewaretoken": token})
            if status != 200:
                raise RuntimeError(f"floor: HTTP {status}")

        status, html = browser.request("page", "GET", urls["post_test"])
        csrf, attempt = CSRF_FIELD.search(html), ATTEMPT_FIELD.search(html)
        if status != 200 or not csrf or not attempt:
            raise RuntimeError(f"post-test page: HTTP {status}")
        token = csrf.group(1)
        floor(token)
        right = {f"q_{q}": text for q, text in seed["correct"].items()}
        options = OPTION_FIELD.findall(html)
        answers = {name: value for name, value, label in options if right.get(name) == unescape(label)}
        form = {"csrfmiddlewaretoken": token, "attempt": attempt.group(1), **answers}
        status, _html = browser.request("answers", "POST", urls["post_test"], form)
        if status != 302:
            raise RuntimeError(f"answers: HTTP {status}")
        floor(token)
        form = {"csrfmiddlewaretoken": token, **EVALUATION}
        status, _html = browser.request("evaluation", "POST", urls["evaluation"], form)
        if status != 302:
            raise RuntimeError(f"evaluation: HTTP {status}")
        floor(token)
        form = {"csrfmiddlewaretoken": token, "minutes": "45", "attest": "on"}
        status, html = browser.request("claim", "POST", urls["claim"], form)
        if status != 200 or "Credit claimed" not in html:
            raise RuntimeError(f"claim: HTTP {status}")
        floor(token)
    finally:
        browser.close()


def run() -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix="podcastcme-bench-path-"))
    server = None
    drop = None
    try:
        url, label, drop = _database(work, DB_NAME)
        (work / "media").mkdir()
        (work / "bench_path_settings.py").write_text(
            "from podcastcme.settings.test import *  # noqa\n"
            'TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}\n'
            'ROOT_URLCONF = "bench.floor_urls"  # the product\'s URLs and the floor view\n'
        )
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="bench_path_settings",
            DATABASE_URL=url,
            MEDIA_ROOT=str(work / "media"),
            PYTHONPATH=os.pathsep.join([str(work), str(ROOT)]),
            DB_CONN_MAX_AGE=os.environ.get("DB_CONN_MAX_AGE", "60"),
        )
        python = sys.executable
        migrate = [python, "manage.py", "migrate", "--noinput", "-v", "0"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True)
        seed_file = work / "seed.json"
        subprocess.run(
            [python, "-m", "bench._claims_seed", "seed", str(seed_file), str(WARM_UP + LEARNERS)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        seed = json.loads(seed_file.read_text())
        port = free_port()
        server = _start_server(env, port, work / "gunicorn.log")

        warm = Results()
        for key in seed["sessions"][:WARM_UP]:
            _path_with_floor(port, seed, key, warm)
        results = Results()
        started = time.perf_counter()
        for key in seed["sessions"][WARM_UP:]:
            _path_with_floor(port, seed, key, results)
        elapsed = time.perf_counter() - started
        medians = {step: statistics.median(values) for step, values in results.by_step.items()}
        floor = medians["floor"]
        print(
            f"  {LEARNERS} learners one at a time in {elapsed:.1f} s ({label}); medians: "
            + ", ".join(f"{step} {value:.1f} ms" for step, value in medians.items()),
            flush=True,
        )
        rows = [
            Row(
                name=f"learner path: floor (login, insert one row, page; {label})",
                value=floor,
                baseline=None,
                unit="ms",
                goal="(the floor)",
                ok=True,
            )
        ]
        for step, description in STEPS:
            rows.append(
                Row(
                    name=f"learner path: {description} vs floor",
                    value=medians[step],
                    baseline=floor,
                    unit="ms",
                    goal=f"ratio <= {GOAL_RATIO:g}",
                    ok=medians[step] <= GOAL_RATIO * floor,
                )
            )
        return rows
    finally:
        if server is not None:
            stop(server)
        try:
            if drop is not None:
                drop()
        finally:
            shutil.rmtree(work, ignore_errors=True)
