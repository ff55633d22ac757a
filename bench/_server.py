"""gunicorn for the benches: the test settings plus a few lines, on a free 127.0.0.1 port."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from testkit.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(
    database_url: str, workdir: Path, *, extra_settings: str, prefix: str = "bench"
) -> Iterator[int]:
    """Start gunicorn (2 gthread workers x 4 threads, keep-alive, persistent DB connections as in
    production) with ``podcastcme.settings.test`` plus ``extra_settings`` (Python lines); yield
    its port; stop it whatever happens."""
    module = f"{prefix}_settings_{uuid.uuid4().hex[:8]}"
    (workdir / f"{module}.py").write_text("from podcastcme.settings.test import *  # noqa\n" + extra_settings)
    port = free_port()
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        PYTHONPATH=os.pathsep.join([str(workdir), str(ROOT), env.get("PYTHONPATH", "")]),
        DATABASE_URL=database_url,
        DB_CONN_MAX_AGE="60",  # persistent connections, as a production deployment would use
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "podcastcme.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--keep-alive", "30",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    stderr = process.stderr
    assert stderr is not None  # stderr=PIPE
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error = stderr.read().decode()[-2000:]
                    raise RuntimeError(f"gunicorn did not start: {error}") from None
                time.sleep(0.1)
        yield port
    finally:
        stop(process, timeout=10)
        stderr.close()


@contextmanager
def fresh_database() -> Iterator[tuple[str, Path]]:
    """A new database, migrated, dropped afterwards: yields its DATABASE_URL (for gunicorn and
    other processes) and a temporary folder that is removed with it."""
    import shutil
    import tempfile

    from django.db import connection

    db = connection.settings_dict
    tmp = Path(tempfile.mkdtemp(prefix="podcastcme-bench-db-"))
    if db["ENGINE"].endswith("sqlite3"):
        # A file, not Django's in-memory test database: gunicorn must open the same one.
        db.setdefault("TEST", {})["NAME"] = str(tmp / "bench.sqlite3")
    old_name = db["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if db["ENGINE"].endswith("sqlite3"):
            url = f"sqlite:///{name}"
        else:
            user, password = db.get("USER", ""), db.get("PASSWORD", "")
            auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
            url = f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"
        yield url, tmp
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(tmp, ignore_errors=True)
