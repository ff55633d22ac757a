"""Faults around certificates: the task worker down then up, PostgreSQL stopped and restarted during
claims and under a running worker, and a full disk while a PDF is stored.

The worker is the real one (``manage.py task_worker`` in its own process, on the test database and
the database queue). PostgreSQL is stopped and started with the control script
scripts/with-postgres.sh exports (``PODCASTCME_TEST_PG_CTL``); a test that stops it starts it again
whatever happens. The disk is a small tmpfs mounted as MEDIA_ROOT.
"""

import datetime
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits import certificates, services
from credits.models import Certificate, CompletionRecord, CreditClaim
from podcastcme.health_tasks import task_queue_status
from testkit.factories import correct_answers
from testkit.mfa import mfa_login
from testkit.storage import tmpfs

ROOT = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_COMMAND = "task_worker"


def postgres_test(function):
    """A test that needs the throwaway PostgreSQL of scripts/with-postgres.sh (it stops and starts it)."""
    for mark in (
        pytest.mark.django_db(transaction=True),  # the worker process must see what the test commits
        pytest.mark.skipif(
            connection.vendor != "postgresql" or not os.environ.get("PODCASTCME_TEST_PG_CTL"),
            reason="needs the throwaway PostgreSQL of scripts/with-postgres.sh (a worker process shares "
            "the database, and the test stops and starts the server); make test runs it",
        ),
        pytest.mark.postgres_only,
    ):
        function = mark(function)
    return function


# --- Parts ------------------------------------------------------------------------------------------


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def rendered(certificate_id: int) -> bool:
    return Certificate.objects.filter(pk=certificate_id, render_state="rendered").exclude(pdf="").exists()


class Worker:
    """``manage.py task_worker`` in its own process; its output goes to a log file read on failure."""

    def __init__(self, log: Path):
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, *extra: str) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
            "PODCASTCME_TEST_DB_NAME": connection.settings_dict["NAME"],
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "manage.py", WORKER_COMMAND, "--interval", "0.2"]
        if WORKER_COMMAND == "task_worker":
            command += ["--sweep-interval", "1", *extra]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def worker(tmp_path, settings) -> Iterator[Worker]:
    settings.TASKS = DATABASE_TASKS  # the test enqueues into the table the worker reads
    running = Worker(tmp_path / "worker.log")
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def postgres() -> Iterator[Callable[[str], None]]:
    """``postgres("stop")`` / ``postgres("start")``: the server is running again after the test, always."""
    control = os.environ["PODCASTCME_TEST_PG_CTL"]
    state = {"stopped": False}

    def act(what: str) -> None:
        subprocess.run([control, what], check=True, timeout=90)
        state["stopped"] = what == "stop"
        if what == "start":
            # Connections of this process died with the server: the next query opens new ones.
            for conn in connections.all(initialized_only=True):
                with suppress(Exception):
                    conn.close()
                conn.connection = None

    try:
        yield act
    finally:
        if state["stopped"]:
            act("start")


def ready_learner(make_user, activity, email: str):
    learner = make_user(email, profile=True)
    attempt = services.attempt_start(learner=learner, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))
    services.evaluation_submit(
        learner=learner,
        activity=activity,
        data={"objectives_met": 4, "relevant_to_practice": 4, "free_of_bias": 4, "intends_change": False},
    )
    return learner


def claim_now(learner, activity) -> Certificate:
    made = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
    return Certificate.objects.get(claim=made)


def learner_client(learner) -> Client:
    client = Client()
    client.force_login(learner)
    return client


# --- Task worker down, then up ------------------------------------------------------------------------


@postgres_test
def test_task_worker_down_then_up_the_learner_is_told_then_gets_the_pdf(
    worker, learner, activity, evaluated, coordinator
):
    certificate = claim_now(learner, activity)  # no worker runs: the render waits in the queue
    assert certificate.render_state == "pending" and not certificate.pdf
    client = learner_client(learner)
    page = client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))
    assert page.status_code == 202 and "Your certificate is being prepared" in page.content.decode()
    time.sleep(1.1)
    assert task_queue_status()["oldest_ready_age_seconds"] >= 1  # /healthz sees a queue nobody works on

    # Ten minutes later, still no worker: the page stops reloading and says so; coordinators see it.
    Certificate.objects.filter(pk=certificate.pk).update(
        issued_at=timezone.now() - datetime.timedelta(minutes=certificates.RENDER_OVERDUE_MINUTES + 1)
    )
    body = client.get(reverse("credits:certificate_pdf", args=[certificate.pk])).content.decode()
    assert "Your credit is recorded" in body and 'http-equiv="refresh"' not in body
    coordinator_client = Client()
    mfa_login(coordinator_client, coordinator)
    dashboard = coordinator_client.get(reverse("credits:coordinator_dashboard")).content.decode()
    assert certificate.number in dashboard

    worker.start()
    wait_for(lambda: rendered(certificate.pk), 60, f"the worker to render the PDF\n{worker.output()}")
    page = client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))
    assert page.status_code == 302
    download = client.get(page["Location"])
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # The worker empties the queue (the ready email follows the render as its own task).
    wait_for(lambda: task_queue_status()["oldest_ready_age_seconds"] is None, 30, "an empty queue")
    assert (
        certificate.number
        not in coordinator_client.get(reverse("credits:coordinator_dashboard")).content.decode()
    )


# --- PostgreSQL restarts ------------------------------------------------------------------------------


@postgres_test
def test_the_worker_survives_a_postgresql_restart_and_renders_what_comes_after(
    worker, postgres, make_user, activity
):
    first_learner = ready_learner(make_user, activity, "first@example.org")
    second_learner = ready_learner(make_user, activity, "second@example.org")
    worker.start()
    first = claim_now(first_learner, activity)
    wait_for(lambda: rendered(first.pk), 60, f"the first render\n{worker.output()}")

    postgres("stop")
    time.sleep(4)  # the worker polls several times against a dead server
    assert worker.alive(), f"the worker exited with {worker.process.returncode}:\n{worker.output()}"
    postgres("start")

    second = claim_now(second_learner, activity)
    wait_for(lambda: rendered(second.pk), 60, f"the render after the restart\n{worker.output()}")
    assert worker.alive()
    wait_for(lambda: "database available again" in worker.output(), 10, "the worker's recovery line")
    assert "database unavailable, the worker waits for it" in worker.output()
    assert worker.stop() == 0  # SIGTERM: a clean exit


@postgres_test
def test_with_max_outage_the_worker_exits_non_zero_for_its_supervisor_to_restart_it(worker, postgres):
    worker.start("--max-outage", "2")
    wait_for(lambda: "started" in worker.output(), 30, "the worker to start")
    postgres("stop")
    wait_for(lambda: not worker.alive(), 30, f"the worker to give up\n{worker.output()}")
    postgres("start")
    assert worker.process.returncode == 1
    assert "(--max-outage): exiting" in worker.output()


@postgres_test
def test_claims_during_a_postgresql_restart_are_whole_or_absent_and_all_get_their_pdf(
    worker, postgres, make_user, activity
):
    learners = [ready_learner(make_user, activity, f"learner{n}@example.org") for n in range(8)]
    worker.start()
    refused: list[str] = []
    unexpected: list[BaseException] = []
    go = threading.Event()

    def claim_all(mine) -> None:
        go.wait()
        try:
            for learner in mine:
                deadline = time.monotonic() + 90
                while True:
                    try:
                        services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
                        break
                    except services.CreditError as error:  # committed before the server went away
                        assert error.code == "already_claimed", error.message
                        break
                    except (OperationalError, InterfaceError) as error:
                        refused.append(type(error).__name__)
                        connections.close_all()
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.3)
                time.sleep(0.25)
        except BaseException as error:
            unexpected.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim_all, args=(learners[n::2],)) for n in range(2)]
    for thread in threads:
        thread.start()
    go.set()
    time.sleep(0.4)
    postgres("stop")
    time.sleep(2)
    postgres("start")
    for thread in threads:
        thread.join(timeout=120)
    assert unexpected == []
    assert refused, "no claim met the stopped server: the fault was not injected"

    # Every learner has exactly one claim, and each claim is whole: completion record, certificate, audit.
    claims = CreditClaim.objects.filter(activity=activity)
    assert claims.count() == len(learners)
    assert CompletionRecord.objects.filter(activity=activity).count() == len(learners)
    certificates_made = Certificate.objects.filter(claim__in=claims)
    assert certificates_made.count() == len(learners)
    assert AuditEvent.objects.filter(action="claim.created").count() == len(learners)
    assert AuditEvent.objects.filter(action="certificate.issued").count() == len(learners)
    numbers = list(certificates_made.values_list("number", flat=True))
    assert len(set(numbers)) == len(learners)
    # The worker lived through it and renders every one (a task lost in the outage: the sweep).
    wait_for(
        lambda: all(rendered(pk) for pk in certificates_made.values_list("pk", flat=True)),
        150,
        f"every certificate rendered\n{worker.output()}",
    )
    assert worker.alive()


# --- Disk full while storing a PDF --------------------------------------------------------------------


@contextmanager
def small_disk(size_kb: int = 256) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="podcastcme-full-disk-"))
    try:
        with tmpfs(folder, f"{size_kb}k"):
            yield folder
    finally:
        with suppress(OSError):
            folder.rmdir()


def fill(folder: Path, leave_bytes: int) -> Path:
    """Fill the disk, then free ``leave_bytes``: less than a certificate needs."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle, suppress(OSError):
        while True:
            handle.write(b"\0" * 4096)
    os.truncate(filler, max(filler.stat().st_size - leave_bytes, 0))
    return filler


@pytest.mark.django_db
def test_disk_full_while_storing_a_pdf_marks_the_render_failed_then_it_is_retried_and_never_served(
    settings, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with small_disk() as disk:
        settings.MEDIA_ROOT = str(disk)
        (disk / "certificates").mkdir()
        filler = fill(disk, leave_bytes=2048)
        with capture(execute=True):
            made = services.claim_credit(learner=learner, activity=activity, minutes=30, attested=True)
        certificate = Certificate.objects.get(claim=made)
        assert certificate.render_state == "failed" and certificate.render_attempts == 1
        assert not certificate.pdf
        assert "No space left on device" in certificate.render_error
        assert list((disk / "certificates").iterdir()) == []  # the partial file is gone, not kept as a PDF

        client = learner_client(learner)
        page = client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))
        body = page.content.decode()
        assert page.status_code == 202 and "the PDF could not be produced yet" in body
        assert "No space left" not in body  # the learner is not shown the machine's error

        filler.unlink()  # the operator frees space; the retry renders it
        with capture(execute=True):
            due = certificate.render_next_try_at + datetime.timedelta(seconds=1)
            assert certificates.certificate_renders_retry_due(now=due) == 1
        certificate.refresh_from_db()
        assert certificate.render_state == "rendered" and certificate.status == "issued"
        page = client.get(reverse("credits:certificate_pdf", args=[certificate.pk]))
        assert page.status_code == 302
        data = b"".join(client.get(page["Location"]).streaming_content)
        assert data.startswith(b"%PDF-") and len(data) == certificate.pdf.size
