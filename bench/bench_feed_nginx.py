"""Issue 14 item 8, the nginx half: feed polls through the repository's nginx config vs nginx static.

A podcast app polls a feed with ``If-None-Match``. Through deploy/nginx/ the poll is answered from
nginx's cache of the feed (revalidated with the app every 2 s in the background), so it should
cost about what nginx pays to answer a 304 for a static file. Both are served by the same nginx
process, in pairs run in alternating order; the figure is nginx's capacity, requests per CPU-second
of its worker (stable on 2 shared cores, unlike requests per second, shown in the name). The app's
cost of the one revalidation every 2 s is left out: a few requests against tens of thousands.
"""

import http.client
import shutil
import statistics
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from bench import Row
from bench._load import CLIENT_THREADS, requests_per_second
from bench._server import fresh_database, gunicorn

GOAL = 0.5
PAIRS = 5
REQUESTS = 4000
EPISODES = 100


def _load(port: int, path: str, etag: str, requests: int) -> float:
    """Requests per second of conditional GETs answered 304, over keep-alive connections."""
    headers = {"Host": "127.0.0.1", "If-None-Match": etag, "Accept-Encoding": "gzip"}
    return requests_per_second(port, path, requests, headers=lambda _n: headers, status=304)


def _etag(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Encoding": "gzip"})
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    return response.getheader("ETag") or ""


def run() -> list[Row]:
    from bench.bench_feed import _make_show
    from episodes.feeds import build_feed
    from testkit.nginx import nginx_binary, repo_nginx
    from testkit.servers import free_port

    if nginx_binary() is None:
        raise RuntimeError("nginx is missing: apt-get install nginx-light")
    workdir = Path(tempfile.mkdtemp(prefix="podcastcme-bench-feed-nginx-"))
    media, static = workdir / "media", workdir / "static"
    media.mkdir()
    static.mkdir()
    try:
        with override_settings(MEDIA_ROOT=media), fresh_database() as (database_url, _tmp):
            show = _make_show("bench-nginx-feed", EPISODES)
            (static / "feed.xml").write_bytes(build_feed(show))
            extra = f"MEDIA_ROOT = {str(media)!r}\n"
            floor_port = free_port()
            floor = (
                f"server {{ listen 127.0.0.1:{floor_port}; access_log {workdir}/floor.access.log; "
                f"location / {{ root {static}; }} }}"
            )
            with (
                gunicorn(database_url, workdir, extra_settings=extra, prefix="bench_feed_nginx") as app_port,
                repo_nginx(workdir / "nginx", app_port=app_port, media_root=Path(settings.MEDIA_ROOT),
                           edge_root=workdir / "edge", signing_key="bench", extra_servers=floor) as nginx,
            ):  # fmt: skip
                production = (nginx.port, show.get_feed_url())
                floor_target = (floor_port, "/feed.xml")
                etags = {target: _etag(*target) for target in (production, floor_target)}
                for target in (production, floor_target):  # warm up
                    _load(target[0], target[1], etags[target], REQUESTS // 5)
                ratios: list[float] = []
                cpu = {production: 0.0, floor_target: 0.0}
                for n in range(PAIRS):
                    rps = {}
                    for target in (production, floor_target) if n % 2 == 0 else (floor_target, production):
                        before = nginx.worker_cpu_seconds()
                        rps[target] = _load(target[0], target[1], etags[target], REQUESTS)
                        cpu[target] += nginx.worker_cpu_seconds() - before
                    ratios.append(rps[production] / rps[floor_target])
                done = PAIRS * (REQUESTS // CLIENT_THREADS) * CLIENT_THREADS
                prod, base = done / max(cpu[production], 1e-9), done / max(cpu[floor_target], 1e-9)
                name = f"feed 304 repo nginx/static per CPU-s (wall {statistics.median(ratios):.2f})"
                return [Row(name, prod, base, "/s", f"ratio >= {GOAL}", prod >= GOAL * base)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
