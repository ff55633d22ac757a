"""A real redis-server (Debian's) on loopback for the shared-state tests: a free port, a temporary
folder, no persistence; stopped whatever happens.

Missing binary: skipped with the reason on a developer's machine, a failure under CI
(testkit.parts); `make test` installs it as root (scripts/ensure-system-packages.sh, test profile).
"""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from testkit.parts import part_missing
from testkit.servers import free_port


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        """A redis-py client of its own (tests look at keys, flush, ping)."""
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        log = self.folder / "redis.log"
        return log.read_text(errors="replace") if log.exists() else ""


def redis_binary() -> str | None:
    return shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(path).exists()), None
    )


@contextmanager
def running_redis(folder: Path) -> Iterator[RedisServer]:
    """redis-server on 127.0.0.1 and a free port, its files in ``folder``; stopped on exit."""
    binary = redis_binary()
    if binary is None:
        part_missing("redis-server is not installed (Debian package redis-server)")
        raise AssertionError("unreachable")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--logfile", str(folder / "redis.log")]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = RedisServer(process, port, folder)
    try:
        deadline = time.monotonic() + 15
        while not _answers(server):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {server.log_text()[-2000:]}")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()


def _answers(server: RedisServer) -> bool:
    import redis

    try:
        return bool(server.client().ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, on a free port (stopped after the test)."""
    with running_redis(tmp_path / "redis") as server:
        yield server
