"""Real gunicorn for fault tests: the test settings, a database file it shares with the test, a free port.

pytest-django's SQLite test database lives in memory, which another process cannot open. So for
SQLite ``shared_database`` copies it (already migrated, still empty) into a file and points this
process's default connection at that file until the test ends; on PostgreSQL the test database is
already shared, and the test runs outside a transaction (``transactional_db``) so that gunicorn
sees what it writes. Tests create their rows themselves: the shared fixtures that take ``db``
would write them inside a transaction gunicorn cannot see.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def shared_database(request, workdir: Path) -> Iterator[str]:
    """A database this test and a gunicorn it starts both use; yields its DATABASE_URL.

    Use it from a fixture of a test marked ``django_db(transaction=True)``: on PostgreSQL that
    test's rows must be committed for gunicorn to see them.
    """
    default = connections["default"]
    if default.vendor != "sqlite":
        db = default.settings_dict
        user, password = db.get("USER", ""), db.get("PASSWORD", "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        yield f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
        return
    path = workdir / "shared.sqlite3"
    with request.getfixturevalue("django_db_blocker").unblock():
        default.ensure_connection()
        with sqlite3.connect(path) as target:
            default.connection.backup(target)  # the migrated (empty) in-memory test database
        target.close()
        # A second wrapper for the file: the in-memory database stays open for the tests that follow.
        file_db = default.__class__({**default.settings_dict, "NAME": str(path)}, alias="default")
        connections["default"] = file_db
        try:
            yield f"sqlite:///{path}"
        finally:
            file_db.close()
            connections["default"] = default


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The pids of gunicorn's worker processes (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(
    database_url: str, workdir: Path, *, extra_settings: str = "", workers: int = 1, env: dict | None = None
) -> Iterator[Server]:
    """gunicorn (gthread, as the README deploys it) with ``podcastcme.settings.test`` plus
    ``extra_settings`` (Python lines), on a free port; stopped whatever happens."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "podcastcme.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "gthread", "--threads", "4",
            "--graceful-timeout", "20", "--log-level", "info", "--no-control-socket"]  # fmt: skip
    with _serve(argv, port, database_url, workdir, extra_settings, env) as server:
        while len(server.workers()) < workers:
            time.sleep(0.05)
        yield server


@contextmanager
def runserver(database_url: str, workdir: Path, *, extra_settings: str = "") -> Iterator[Server]:
    """Django's own server (``runserver --noreload``): a server that installs no SIGTERM handler."""
    port = free_port()
    argv = [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"]
    with _serve(argv, port, database_url, workdir, extra_settings, None) as server:
        yield server


@contextmanager
def _serve(argv, port, database_url, workdir, extra_settings, env) -> Iterator[Server]:
    module = f"faults_settings_{uuid.uuid4().hex[:8]}"
    (workdir / f"{module}.py").write_text("from podcastcme.settings.test import *  # noqa\n" + extra_settings)
    environment = dict(os.environ)
    environment.update(
        DJANGO_SETTINGS_MODULE=module,
        PYTHONPATH=os.pathsep.join([str(workdir), str(ROOT), environment.get("PYTHONPATH", "")]),
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        LOG_LEVEL="WARNING",
        **(env or {}),
    )
    log = workdir / f"{module}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {server.log_text()[-2000:]}") from None
                time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def raw_request(port: int, head: str, body: bytes = b"") -> socket.socket:
    """Send a request head (lines without the final blank line) and some body bytes; return the socket."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n\r\n" + body)
    return sock


def read_status(sock: socket.socket, timeout: float) -> str:
    """The response's status line, or "" when none arrived within ``timeout`` seconds."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    return data.split(b"\r\n", 1)[0].decode("latin-1")
