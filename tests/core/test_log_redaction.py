"""URL secrets (feed tokens, reset and confirmation keys, download and verification codes) never logged."""

import io
import logging
import shutil
import subprocess
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from podcastcme.log_redaction import REDACTED, redact
from testkit.parts import part_missing
from testkit.servers import free_port, gunicorn, shared_database

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Sekr3tT0ken-do-not-log-Q9"


def secret_urls() -> list[str]:
    """Every URL shape of the URLconf whose path carries a credential, built with reverse()."""
    return [
        reverse("episodes:personal_feed", args=[SECRET, "airway-rounds"]),
        reverse("episodes:personal_audio", kwargs={"token": SECRET, "pk": 7, "slug": "ep", "ext": "mp3"}),
        reverse("account_reset_password_from_key", kwargs={"uidb36": "3", "key": SECRET}),
        reverse("account_confirm_email", args=[SECRET]),
        reverse("credits:certificate_download", args=[SECRET, "certificate-PCME-1.pdf"]),
        reverse("credits:verify", args=[SECRET]),
        reverse("credits:verify_json", args=[SECRET]),
        reverse("credits:verify_lookup") + f"?code={SECRET}",
        reverse("account_login") + "?next=" + urllib.parse.quote(f"/p/{SECRET}/show/feed.xml", safe=""),
    ]


@pytest.mark.parametrize("url", secret_urls())
def test_every_secret_bearing_url_is_redacted(url):
    line = f'GET {url} HTTP/1.1 "https://cme.example.org{url}"'
    redacted = redact(line)
    assert SECRET not in redacted and REDACTED in redacted
    # The rest of the URL stays readable: the route is still visible to whoever reads the log.
    assert redacted.split("[redacted]")[0].startswith("GET /")


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/shows/airway-rounds/feed.xml",
        "/verify/",
        "/accounts/password/reset/key/done/",
        "/search/?q=key",
    ],
)
def test_ordinary_urls_are_left_alone(url):
    assert redact(url) == url


@pytest.mark.django_db
def test_djangos_not_found_log_line_is_redacted(client):
    """The console handler of settings.LOGGING: Django logs "Not Found: <path>" for a revoked feed."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        client.get(reverse("episodes:personal_feed", args=[SECRET, "no-such-show"]))
    finally:
        handler.setStream(previous)
    assert "Not Found: /p/[redacted]/no-such-show/feed.xml" in stream.getvalue()
    assert SECRET not in stream.getvalue()


# --- gunicorn, started as the README deploys it (gunicorn.conf.py at the repository root) -------------


@pytest.fixture
def database_url(request, tmp_path):
    with shared_database(request, tmp_path) as url:
        yield url


@pytest.mark.django_db(transaction=True)
def test_gunicorn_access_log_has_each_request_with_its_secret_redacted(database_url, tmp_path):
    urls = secret_urls()
    with gunicorn(database_url, tmp_path) as server:
        for url in urls:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{url}",
                headers={"Referer": f"https://cme.example.org/p/{SECRET}/x/feed.xml"},
            )
            try:
                urllib.request.urlopen(request, timeout=20).close()
            except urllib.error.HTTPError as error:
                error.close()  # 404s and redirects are fine: the request was logged
        server.stop()
    log = server.log_text()
    assert SECRET not in log
    for url in urls:
        path = redact(url)
        assert f'"GET {path} HTTP/1.1"' in log, f"no access-log line for {path}"
    assert "/p/[redacted]/x/feed.xml" in log  # the Referer too


# --- nginx, with the map and log_format of docs/deploy-nginx.md ---------------------------------------


def _documented_nginx_logging() -> str:
    """The http-level map and log_format lines from docs/deploy-nginx.md (the block marked for logs)."""
    text = (ROOT / "docs" / "deploy-nginx.md").read_text()
    start = text.index("# --- podcastcme: redacted access log (http block) ---")
    end = text.index("# --- end of the redacted access log ---", start)
    return text[start:end]


def test_nginx_access_log_format_redacts_the_same_secrets(tmp_path):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        part_missing("nginx is not installed (make test installs nginx-light when run as root)")
    port = free_port()
    (tmp_path / "logs").mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(
        textwrap.dedent(
            """
            daemon off;
            pid {dir}/nginx.pid;
            error_log {dir}/logs/error.log;
            events {{}}
            http {{
                client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
                fastcgi_temp_path {dir}/fastcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
            {logging}
                server {{
                    listen 127.0.0.1:{port};
                    access_log {dir}/logs/access.log podcastcme;
                    location / {{ return 204; }}
                }}
            }}
            """
        ).format(dir=tmp_path, port=port, logging=_documented_nginx_logging())
    )
    process = subprocess.Popen([nginx, "-c", str(config), "-p", str(tmp_path)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"nginx refused the documented config: {process.stderr.read().decode()}")
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        for url in secret_urls():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{url}",
                headers={"Referer": f"https://cme.example.org/p/{SECRET}/x/feed.xml"},
            )
            urllib.request.urlopen(request, timeout=5).close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    log = (tmp_path / "logs" / "access.log").read_text()
    assert SECRET not in log
    for url in secret_urls():
        assert f'"GET {redact(url)} HTTP/1.1"' in log, f"no access-log line for {redact(url)}"
    assert "/p/[redacted]/x/feed.xml" in log
