"""The whole production shape on loopback, for the cluster test (tests/cluster/, docs/cluster-test.md).

``running_cluster`` starts, around the test's PostgreSQL database: redis-server, moto's S3 server
with a private bucket, two gunicorn nodes (the test settings plus what production sets for several
nodes: Redis caches and ``cached_db`` sessions, the bucket as the default storage, the database task
queue, the counting buffer, one trusted proxy), the task worker (``manage.py task_worker``), nginx
with the repository's config (deploy/nginx/) load-balancing both nodes, and the access-log ingester
(``manage.py ingest_access_log --every 1``) reading nginx's JSON log. Everything is stopped whatever
happens.

``Visitor`` is one person or podcast app: a ``requests`` session of its own (cookie jar), its own
user agent and its own loopback address (127.0.0.0/8 is all loopback on Linux, so each visitor
reaches nginx from a distinct IP and the IAB "one client = IP + user agent" rule sees distinct
clients). Requests that a node's death can fail (a 502/503/504 from nginx, a dropped connection)
are retried the way a person presses reload, until a deadline.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from testkit.nginx import Nginx, repo_nginx
from testkit.redis import RedisServer, running_redis
from testkit.s3 import ACCESS_KEY, REGION, SECRET_KEY, running_moto
from testkit.servers import ROOT, Server, free_port, gunicorn, shared_database

RETRIED_STATUSES = (502, 503, 504)
EDGE_SIGNING_KEY = "cluster-test-edge-key-0123456789abcdef"


def node_settings(*, redis_url: str, s3_endpoint: str, bucket: str, site_url: str) -> str:
    """The lines added to ``podcastcme.settings.test`` on every node, the worker and the ingester."""
    return (
        "from podcastcme.settings.base import redis_caches, s3_media_storage\n"
        f"REDIS_URL = {redis_url!r}\n"
        "CACHES = redis_caches(REDIS_URL)\n"
        'SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"\n'
        f"STORAGES = {{**STORAGES, 'default': s3_media_storage({bucket!r}, endpoint_url={s3_endpoint!r}, "
        f"region={REGION!r})}}\n"
        'TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}\n'
        f"SITE_URL = {site_url!r}\n"
        "PODCASTCME_TRUSTED_PROXIES = 1\n"  # nginx: REMOTE_ADDR is the visitor's address
        "PODCASTCME_COUNT_BUFFER_SECONDS = 1.0\n"  # as in production
        "PODCASTCME_FEED_RECHECK_SECONDS = 1\n"
        'PODCASTCME_EDGE_AUDIO_ROOT = ""\n'  # a bucket: the app redirects audio to signed URLs
    )


@dataclass
class Cluster:
    workdir: Path
    database_url: str
    redis: RedisServer
    s3_endpoint: str
    bucket: str
    s3: Any  # a boto3 S3 client
    nodes: list[Server]
    nginx: Nginx
    worker: subprocess.Popen
    ingester: subprocess.Popen
    environment: dict[str, str]
    killed: list[Server] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.nginx.url(path)

    def node_named(self, upstream: str) -> Server:
        """The node behind an nginx ``$upstream_addr`` such as ``127.0.0.1:40123``."""
        for node in self.nodes:
            if upstream == f"127.0.0.1:{node.port}":
                return node
        raise LookupError(f"no node at {upstream!r}")

    def kill(self, node: Server) -> None:
        """SIGKILL the node's master and workers at once: a machine that dies, no graceful anything."""
        pids = [*node.workers(), node.process.pid]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        node.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in pids[:-1]):
            assert time.monotonic() < deadline, "the killed node's workers are still running"
            time.sleep(0.05)
        self.killed.append(node)

    def access_log(self) -> list[dict]:
        """nginx's JSON access log so far, one dict per line (whole lines only)."""
        if not self.nginx.access_log.exists():
            return []
        text = self.nginx.access_log.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]

    def flush_access_log(self) -> None:
        """Have nginx write the audio lines it holds in its buffer (as logrotate's reopen does)."""
        self.nginx.reopen_logs()

    def bucket_keys(self) -> set[str]:
        keys: set[str] = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            keys.update(item["Key"] for item in page.get("Contents", []))
        return keys

    def bucket_read(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """A management command with the cluster's settings (as the systemd units run them)."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def logs(self) -> str:
        """The tail of every process's log: for an assertion message."""
        parts = []
        for node in self.nodes:
            parts.append(f"--- node :{node.port}\n{node.log_text()[-3000:]}")
        for name in ("worker.log", "ingester.log", "nginx/logs/error.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextmanager
def _process(argv: list[str], environment: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_cluster(request, workdir: Path) -> Iterator[Cluster]:
    """Everything of the cluster, on loopback, around the test's (committed) database."""
    import boto3

    with ExitStack() as stack:
        database_url = stack.enter_context(shared_database(request, workdir))
        redis = stack.enter_context(running_redis(workdir / "redis"))
        s3_endpoint = stack.enter_context(running_moto())
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )
        bucket = f"podcastcme-cluster-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        nginx_port = free_port()
        extra = node_settings(
            redis_url=redis.url,
            s3_endpoint=s3_endpoint,
            bucket=bucket,
            site_url=f"http://127.0.0.1:{nginx_port}",
        )
        credentials = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        nodes = [
            stack.enter_context(gunicorn(database_url, workdir, extra_settings=extra, env=credentials))
            for _ in range(2)
        ]
        for node in nodes:  # each node's first request loads the app: before nginx counts on it
            wait_for(f"node :{node.port} to answer", partial(_answers, node), timeout=120)
        # The worker and the ingester: the same settings as the nodes, in a module of their own.
        (workdir / "cluster_settings.py").write_text(
            "from podcastcme.settings.test import *  # noqa\n" + extra
        )
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environment.update(
            credentials,
            DJANGO_SETTINGS_MODULE="cluster_settings",
            PYTHONPATH=os.pathsep.join([str(workdir), str(ROOT)]),
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            LOG_LEVEL="WARNING",
        )
        python = sys.executable
        worker = stack.enter_context(
            _process(
                [python, "manage.py", "task_worker", "--interval", "0.2"], environment, workdir / "worker.log"
            )
        )
        nginx = stack.enter_context(
            repo_nginx(
                workdir / "nginx",
                app_port=nodes[0].port,
                more_app_ports=(nodes[1].port,),
                port=nginx_port,
                media_root=Path(settings.MEDIA_ROOT),
                edge_root=_empty(workdir / "edge"),
                signing_key=EDGE_SIGNING_KEY,
            )
        )
        ingester = stack.enter_context(
            _process(
                [python, "manage.py", "ingest_access_log", "--every", "1", str(nginx.access_log)],
                environment,
                workdir / "ingester.log",
            )
        )
        yield Cluster(
            workdir=workdir,
            database_url=database_url,
            redis=redis,
            s3_endpoint=s3_endpoint,
            bucket=bucket,
            s3=s3,
            nodes=nodes,
            nginx=nginx,
            worker=worker,
            ingester=ingester,
            environment=environment,
        )


def _answers(node: Server) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{node.port}/accounts/login/", timeout=60).status_code == 200
    except requests.RequestException:
        return False


def _empty(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_for(what: str, check: Callable[[], Any], *, timeout: float = 60, every: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true (returned); AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last value: {value!r})")
        time.sleep(every)


# --- visitors ----------------------------------------------------------------------------------------


class _FromAddress(HTTPAdapter):
    """Connections from one loopback source address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Visitor:
    """One person or podcast app: a cookie jar, a user agent, a loopback address of its own."""

    def __init__(self, cluster: Cluster, address: str, user_agent: str):
        self.cluster = cluster
        self.address = address
        self.session = requests.Session()
        adapter = _FromAddress(address)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = user_agent

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One request through nginx, not retried."""
        kwargs.setdefault("timeout", 60)
        kwargs.setdefault("allow_redirects", False)
        url = path if path.startswith("http") else self.cluster.url(path)
        return self.session.request(method, url, **kwargs)

    def insist(self, method: str, path: str, *, timeout: float = 60, **kwargs) -> requests.Response:
        """The request, repeated while nginx answers 502/503/504 or the connection drops (a person
        pressing reload while a node dies), up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = self.request(method, path, **kwargs)
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            else:
                if response.status_code not in RETRIED_STATUSES or time.monotonic() > deadline:
                    return response
            time.sleep(0.2)

    def form_token(self, path: str) -> str:
        """The CSRF token of the page's form (the page is loaded as a browser would)."""
        import re

        page = self.insist("GET", path)
        assert page.status_code == 200, (path, page.status_code, page.text[:500])
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, (path, page.text[:500])
        return match.group(1)

    def close(self) -> None:
        self.session.close()
