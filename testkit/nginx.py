"""Real nginx on loopback with the repository's own config (deploy/nginx/), for tests and benches.

``repo_nginx`` writes an nginx.conf in a temporary folder that includes podcastcme-http.conf in the
http block and podcastcme-locations.conf in a server on a free 127.0.0.1 port, with the config's
placeholder paths replaced by the test's (MEDIA_ROOT, the edge link tree, the key file, the log),
and the upstream "podcastcme" pointing at the app's port. Extra servers (e.g. the "nginx static"
floor of the benches) can be added as text.
"""

import os
import shutil
import signal
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testkit.parts import part_missing
from testkit.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "nginx"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def require_nginx() -> str:
    binary = nginx_binary()
    if binary is None:
        part_missing(
            "nginx is not installed (make test installs nginx-light: scripts/ensure-system-packages.sh)"
        )
    assert binary is not None
    return binary


@dataclass
class Nginx:
    port: int
    workdir: Path
    access_log: Path
    process: subprocess.Popen

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) nginx's worker processes have used so far (benches)."""
        pid = self.process.pid
        total = 0
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return total / os.sysconf("SC_CLK_TCK")

    def reopen_logs(self) -> None:
        """What logrotate's postrotate does (nginx -s reopen): write to a new file at the log's path."""
        pid = int((self.workdir / "nginx.pid").read_text())
        os.kill(pid, signal.SIGUSR1)


def repo_config(*, media_root: Path, edge_root: Path, key_file: Path, access_log: Path) -> tuple[str, str]:
    """(http part, server part) of deploy/nginx/ with this machine's paths."""
    replacements = {
        "/srv/podcastcme/media/": f"{str(media_root).rstrip('/')}/",
        "/srv/podcastcme/edge": str(edge_root),
        "/etc/nginx/podcastcme/edge-key.conf": str(key_file),
        "/var/log/nginx/podcastcme.access.json": str(access_log),
        "/var/cache/nginx/podcastcme-feeds": str(access_log.parent.parent / "feeds-cache"),
    }
    http = (CONFIG / "podcastcme-http.conf").read_text()
    server = (CONFIG / "podcastcme-locations.conf").read_text()
    for placeholder, value in replacements.items():
        http, server = http.replace(placeholder, value), server.replace(placeholder, value)
    return http, server


@contextmanager
def repo_nginx(
    workdir: Path,
    *,
    app_port: int,
    media_root: Path,
    edge_root: Path,
    signing_key: str,
    extra_servers: str = "",
    more_app_ports: tuple[int, ...] = (),
    port: int | None = None,
) -> Iterator[Nginx]:
    """nginx with the repository's config in front of the app on ``app_port``; stopped whatever happens.

    ``more_app_ports``: further app nodes in the upstream, one ``server`` line each (as
    podcastcme-site.conf says for several nodes); ``port``: nginx's own port (default: a free one).
    """
    binary = require_nginx()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "logs").mkdir(exist_ok=True)
    key_file = workdir / "edge-key.conf"
    key_file.write_text(f'set $podcastcme_edge_key "{signing_key}";\n')
    access_log = workdir / "logs" / "podcastcme.access.json"
    http, server = repo_config(
        media_root=media_root, edge_root=edge_root, key_file=key_file, access_log=access_log
    )
    port = port or free_port()
    upstream = "".join(f"server 127.0.0.1:{app};\n" for app in (app_port, *more_app_ports))
    config = workdir / "nginx.conf"
    config.write_text(
        textwrap.dedent(
            """
            daemon off;
            {user}
            worker_processes 1;
            pid {dir}/nginx.pid;
            error_log {dir}/logs/error.log;
            events {{ worker_connections 256; }}
            http {{
                client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
                fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
                default_type application/octet-stream;
            {http}
                upstream podcastcme {{
                    {upstream}
                    keepalive 8;
                }}
                server {{
                    listen 127.0.0.1:{port};
            {server}
                }}
            {extra}
            }}
            """
        ).format(
            # As root nginx's workers would run as "nobody", who cannot read the test's private folders.
            user="user root;" if os.geteuid() == 0 else "",
            dir=workdir,
            http=http,
            upstream=upstream,
            port=port,
            server=server,
            extra=extra_servers,
        )
    )
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(workdir)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/private-audio/x", timeout=2).close()
            except urllib.error.HTTPError:
                break  # nginx answers (404 from the app, or 502 without one): it is up
            except OSError:
                if process.poll() is not None:
                    stderr = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"nginx refused the repository's config: {stderr}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            else:
                break
        yield Nginx(port=port, workdir=workdir, access_log=access_log, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
