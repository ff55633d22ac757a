"""Operations (issue 14, item 5): Prometheus metrics behind a token, JSON logs, the systemd units."""

import configparser
import io
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.urls import reverse

from podcastcme.log_redaction import RedactSecretsFilter
from podcastcme.logging_json import JsonFormatter
from podcastcme.metrics_settings import instrument

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
TOKEN = "Mt7-metrics-token-for-tests-Qv2xR9pL0sW4nB8cE1"
STRONG_KEY = "k3Jx9-QpL2vR8sT1uW4yZ7aB0cD3eF6gH9iJ2kL5mN8oP1qR4sT7uV0wX3yZ6aB9cD2e"
MFA_KEY = "hCDzb7bS3MkTeBNSMPLhwbBR2upNZ9JeDNRAMq1nn5Y="
APPLE = "AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)"


# --- Prometheus metrics ------------------------------------------------------------------------------


@pytest.fixture
def metrics_on(settings):
    """The settings PODCASTCME_METRICS_TOKEN gives (the same function base.py calls)."""
    apps, middleware = list(settings.INSTALLED_APPS), list(settings.MIDDLEWARE)
    caches = {name: dict(cache) for name, cache in settings.CACHES.items()}
    instrument(installed_apps=apps, middleware=middleware, databases={}, caches=caches)
    settings.MIDDLEWARE, settings.CACHES = middleware, caches
    settings.PODCASTCME_METRICS_TOKEN = TOKEN


def _scrape(client, token=TOKEN):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def _value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` in the exposition text (labels in any order)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(3))
    raise AssertionError(f"{name}{labels} is not in the metrics")


@pytest.mark.django_db
def test_metrics_are_off_by_default(client, settings):
    """`make run` and the tests: no token, nothing installed, /metrics is the site's 404."""
    assert settings.PODCASTCME_METRICS_TOKEN == ""
    assert not any("prometheus" in name for name in settings.MIDDLEWARE)
    assert "django_prometheus" not in settings.DATABASES["default"]["ENGINE"]
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404
    assert b"django_http_requests" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
    ids=["none", "empty", "wrong", "basic-scheme", "longer", "no-scheme"],
)
def test_metrics_refuse_a_request_without_the_token(client, metrics_on, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert response["Cache-Control"] == "no-store, max-age=0"
    assert response.content == b"unauthorized\n"


@pytest.mark.django_db
def test_metrics_refuse_other_methods(client, metrics_on):
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_metrics_are_answered_before_the_https_redirect_and_host_check(client, metrics_on, settings):
    """Prometheus scrapes each node over plain http by its address, like the /healthz probe."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["cme.example.org"]
    text = _scrape(client)
    assert "podcastcme_claims_total" in text


@pytest.mark.django_db
def test_metrics_after_a_claim(
    client, metrics_on, settings, learner, activity, evaluated, django_capture_on_commit_callbacks
):
    """A learner claims through the page: the claim, its certificate, the request per view are counted."""
    text = _scrape(client)
    assert _value(text, "podcastcme_figures_up") == 1
    assert _value(text, "podcastcme_claims_total") == 0
    before_view = _requests_by_view(text, "credits:claim", "POST")

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # production's queue
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):  # the claim enqueues the render on commit
        response = client.post(
            reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
        )
    assert response.status_code == 302  # on to the verification page

    text = _scrape(client)
    assert _value(text, "podcastcme_claims_total") == 1
    assert _value(text, "podcastcme_certificates_issued_total") == 1
    assert _value(text, "podcastcme_certificates", status="pending", render_state="pending") == 1
    # The PDF waits for the worker: one render pending, none failed yet. Two tasks ready: the render
    # and the one that tells followups and webhooks of the claim and its certificate (credits.events).
    assert _value(text, "podcastcme_certificate_renders_pending") == 1
    assert _value(text, "podcastcme_certificate_render_failures") == 0
    assert _value(text, "podcastcme_tasks", status="READY") == 2
    assert _value(text, "podcastcme_tasks", status="RUNNING") == 0
    assert 'podcastcme_tasks{status="SUCCESSFUL"}' not in text  # finished results only pile up
    assert _value(text, "podcastcme_task_oldest_ready_age_seconds") >= 0
    assert _requests_by_view(text, "credits:claim", "POST") == before_view + 1
    # Request latency per view, and the database's own counters.
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert 'view="credits:claim"' in text


def _requests_by_view(text: str, view: str, method: str) -> float:
    try:
        return _value(
            text, "django_http_requests_total_by_view_transport_method_total", view=view, method=method
        )
    except AssertionError:
        return 0.0


@pytest.mark.django_db
def test_metrics_count_downloads(client, metrics_on, published_episode):
    episode = published_episode
    assert _value(_scrape(client), "podcastcme_downloads_total") == 0
    response = client.get(episode.get_audio_url(), HTTP_USER_AGENT=APPLE, REMOTE_ADDR="203.0.113.7")
    b"".join(response.streaming_content)
    assert response.status_code == 200
    assert _value(_scrape(client), "podcastcme_downloads_total") == 1


@pytest.mark.django_db
def test_metrics_count_cache_hits_and_misses(client, metrics_on):
    """Cache gets, hits and misses per backend; a cached false value is a hit (django-prometheus's
    own locmem subclass returns the default for it)."""
    from django.core.cache import caches

    cache = caches["default"]
    assert type(cache).__module__ == "podcastcme.metrics"
    before = _scrape(client)
    cache.set("metrics-test-zero", 0)
    assert cache.get("metrics-test-zero", "default") == 0
    assert cache.get("metrics-test-absent", "default") == "default"
    after = _scrape(client)
    for name in ("django_cache_get_hits_total", "django_cache_get_misses_total"):
        grown = _value(after, name, backend="locmem") - _sample_or_zero(before, name, backend="locmem")
        assert grown >= 1, name


def _sample_or_zero(text: str, name: str, **labels: str) -> float:
    try:
        return _value(text, name, **labels)
    except AssertionError:
        return 0.0


def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR (the web unit sets it): a scrape answered by one worker shows the
    requests of all; with the database unreachable the scrape still answers, and says so."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PODCASTCME_METRICS_TOKEN": TOKEN}
    env["DATABASE_URL"] = "postgres://nobody:wrong@127.0.0.1:9/none"  # nothing listens on port 9
    request = (
        "import django; django.setup(); from django.test import RequestFactory; "
        "from django.http import HttpResponse; "
        "from django_prometheus.middleware import PrometheusBeforeMiddleware as B; "
        "B(lambda r: HttpResponse())(RequestFactory().get('/'))"
    )
    for _worker in range(2):
        assert _manage("-c", request, settings_module="podcastcme.settings.test", **env).returncode == 0
    scrape = (
        "import django; django.setup(); from podcastcme.metrics import exposition; "
        "print(exposition().decode())"
    )
    result = _manage("-c", scrape, settings_module="podcastcme.settings.test", **env)
    assert result.returncode == 0, result.stderr
    assert _value(result.stdout, "django_http_requests_before_middlewares_total") == 2
    assert _value(result.stdout, "podcastcme_figures_up") == 0
    assert "podcastcme_claims_total" not in result.stdout
    assert "could not be read: OperationalError" in result.stderr


def _manage(*args: str, settings_module: str = "podcastcme.settings.prod", **env: str):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "LOG_FORMAT"}
    }
    clean.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="cme.example.org",
        PODCASTCME_MFA_ENCRYPTION_KEY=MFA_KEY,
        **env,
    )
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_stays_clean_with_metrics_and_json_logs():
    result = _manage(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING",
        PODCASTCME_METRICS_TOKEN=TOKEN, LOG_FORMAT="json",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://u:p@db.internal:5432/cme", "django_prometheus.db.backends.postgresql"),
        ("sqlite:////tmp/podcastcme-metrics.sqlite3", "django_prometheus.db.backends.sqlite3"),
    ],
)
def test_metrics_wrap_the_database_engine_and_the_caches(url, engine):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE']); "
        "print(*sorted(c['BACKEND'] for c in settings.CACHES.values())); print(settings.MIDDLEWARE[:2])"
    )
    result = _manage("-c", code, DATABASE_URL=url, PODCASTCME_METRICS_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == engine
    assert lines[1] == "podcastcme.metrics.DatabaseCache podcastcme.metrics.LocMemCache"
    assert "PrometheusBeforeMiddleware" in lines[2] and "MetricsEndpointMiddleware" in lines[2]


def test_production_refuses_a_short_metrics_token():
    result = _manage("manage.py", "check", PODCASTCME_METRICS_TOKEN="hunter2-token")
    assert result.returncode != 0
    assert "PODCASTCME_METRICS_TOKEN" in result.stderr
    assert "hunter2" not in result.stderr  # the token itself is never printed


# --- JSON logs ---------------------------------------------------------------------------------------


@pytest.fixture
def json_log(settings):
    """A handler as LOG_FORMAT=json configures it (the redaction filter and the JSON formatter), and
    the request-id middleware in the stack; yields the lines written."""
    settings.MIDDLEWARE = ["podcastcme.logging_json.RequestContextMiddleware", *settings.MIDDLEWARE]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_json_log_line_of_a_request_has_its_id_and_path_and_no_secret(client, json_log):
    """A revoked personal feed: Django logs "Not Found: /p/<token>/...": the token never reaches the line."""
    secret = "sEcReTtOkEn0123456789abcdef"
    response = client.get(
        f"/p/{secret}/some-show/feed.xml", HTTP_X_REQUEST_ID="4f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e"
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "4f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e"
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /p/[redacted]/some-show/feed.xml"
    assert line["path"] == "/p/[redacted]/some-show/feed.xml"
    assert line["method"] == "GET"
    assert line["request_id"] == "4f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e"
    assert line["status_code"] == 404
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert secret not in json.dumps(json_log())


@pytest.mark.django_db
def test_json_log_request_id_is_made_when_missing_or_malformed(client, json_log):
    for given in (None, "bad id with spaces", "x" * 65, '"quoted"'):
        headers = {"HTTP_X_REQUEST_ID": given} if given is not None else {}
        response = client.get("/nothing-here/", **headers)
        assert response.status_code == 404
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"]), given
    ids = [line["request_id"] for line in json_log() if line["logger"] == "django.request"]
    assert len(ids) == 4 and len(set(ids)) == 4


def test_json_log_redacts_exceptions_and_writes_one_line_each(json_log):
    """A traceback (which can name a URL) is redacted and stays inside its one line."""
    logger = logging.getLogger("podcastcme.test")
    try:
        raise ValueError("could not open /accounts/password/reset/key/abc-123def456/")
    except ValueError:
        logger.exception("reset failed for %s", "/accounts/confirm-email/Mzk:1abc:xyz/")
    logger.info("a path %s and a tuple %s", Path("/srv"), (1, 2))
    first, second = json_log()
    assert first["message"] == "reset failed for /accounts/confirm-email/[redacted]/"
    assert "ValueError: could not open /accounts/password/reset/key/[redacted]/" in first["exception"]
    assert "abc-123def456" not in json.dumps(first)
    assert second["message"] == "a path /srv and a tuple (1, 2)"
    assert "request_id" not in second  # logged outside a request
    assert second["pid"] == os.getpid()


def test_log_format_json_configures_the_formatter_the_filter_and_the_middleware():
    """LOG_FORMAT=json in the environment: each line Django writes is one JSON object, redacted."""
    code = (
        "import django, logging; django.setup(); from django.conf import settings; "
        "print(settings.MIDDLEWARE.index('podcastcme.logging_json.RequestContextMiddleware') "
        "< settings.MIDDLEWARE.index('podcastcme.health.HealthCheckMiddleware'), flush=True); "
        "logging.getLogger('django.request').warning('Not Found: %s', '/p/abcdefghijk/show/feed.xml')"
    )
    result = _manage("-c", code, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # before the health check and the early answers: they log too
    (line,) = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["logger"] == "django.request"
    assert line["message"] == "Not Found: /p/[redacted]/show/feed.xml"
    code = code.replace(
        "settings.MIDDLEWARE.index('podcastcme.logging_json.RequestContextMiddleware') "
        "< settings.MIDDLEWARE.index('podcastcme.health.HealthCheckMiddleware')",
        "'podcastcme.logging_json.RequestContextMiddleware' in settings.MIDDLEWARE",
    )
    text = _manage("-c", code)  # the default: text, as before, and no request-id middleware
    assert text.stdout.strip() == "False"
    assert text.stderr.strip() == "Not Found: /p/[redacted]/show/feed.xml"
    bad = _manage("manage.py", "check", LOG_FORMAT="yaml")
    assert bad.returncode != 0 and "LOG_FORMAT must be text or json" in bad.stderr


# --- systemd units ----------------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


SERVICES = ["podcastcme-web.service", "podcastcme-worker.service", "podcastcme-ingest.service"]


def test_the_units_are_there():
    assert sorted(p.name for p in UNITS.iterdir() if p.suffix in {".service", ".timer"}) == sorted(
        [*SERVICES, "podcastcme-ingest.timer"]
    )
    assert (UNITS / "podcastcme.env.example").is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_a_real_command_hardened(name):
    service = _unit(name)["Service"]
    assert service["EnvironmentFile"] == "/etc/podcastcme/env"
    assert service["User"] == "podcastcme"
    argv = shlex.split(service["ExecStart"])
    assert argv[0].startswith("/srv/podcastcme/.venv/bin/")
    if argv[0].endswith("/gunicorn"):
        assert argv[1] == "podcastcme.wsgi:application"
        assert (ROOT / "podcastcme" / "wsgi.py").is_file() and (ROOT / "gunicorn.conf.py").is_file()
        assert service["WorkingDirectory"] == "/srv/podcastcme"  # gunicorn.conf.py is read from there
    else:
        assert argv[1] == "manage.py"
        assert argv[2] in get_commands(), f"{argv[2]} is not a management command"
    for option, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
    }.items():
        assert service.get(option) == value, f"{name}: {option}"
    if name == "podcastcme-ingest.service":
        assert "ReadWritePaths" not in service  # it reads logs and writes only to the database
        assert service["SupplementaryGroups"] == "adm"  # Debian's nginx logs: www-data:adm 640
    else:
        assert "/srv/podcastcme/media" in service["ReadWritePaths"].split()


def test_the_example_environment_file_sets_no_secret():
    """The example is copied to /etc/podcastcme/env: its secrets are empty, to be generated."""
    lines = (UNITS / "podcastcme.env.example").read_text().splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert settings["SECRET_KEY"] == "" and settings["PODCASTCME_MFA_ENCRYPTION_KEY"] == ""
    assert settings["LOG_FORMAT"] == "json"


def test_the_web_service_keeps_metrics_of_every_worker():
    service = _unit("podcastcme-web.service")["Service"]
    assert service["RuntimeDirectory"] == "podcastcme-web"
    assert "PROMETHEUS_MULTIPROC_DIR=/run/podcastcme-web" in service["Environment"]


def test_the_worker_restarts_whatever_happens():
    service = _unit("podcastcme-worker.service")["Service"]
    assert service["Restart"] == "always"
    assert service["KillSignal"] == "SIGTERM"
    assert _unit("podcastcme-worker.service")["Unit"]["StartLimitIntervalSec"] == "0"


def test_the_ingester_runs_on_a_timer():
    timer = _unit("podcastcme-ingest.timer")
    assert timer["Timer"]["Unit"] == "podcastcme-ingest.service"
    assert timer["Timer"]["OnUnitActiveSec"]
    assert _unit("podcastcme-ingest.service")["Service"]["Type"] == "oneshot"


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (scripts/ensure-system-packages.sh test installs systemd)",
)
def test_systemd_analyze_verifies_the_units(tmp_path):
    """systemd's own check: every key known, every ExecStart absolute and present (a stand-in tree)."""
    root = tmp_path / "srv" / "podcastcme"
    for program in ("python", "gunicorn"):
        path = root / ".venv" / "bin" / program
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    units = tmp_path / "units"
    units.mkdir()
    for unit in UNITS.iterdir():
        if unit.suffix in {".service", ".timer"}:
            (units / unit.name).write_text(unit.read_text().replace("/srv/podcastcme", str(root)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    # Outside a booted systemd (a container, CI) verify also reports the machine's own missing parts;
    # only lines about our units matter.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "podcastcme" in line]
    assert ours == [], "\n".join(ours)
