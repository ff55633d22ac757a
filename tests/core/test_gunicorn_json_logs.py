"""LOG_FORMAT=json: real gunicorn (gunicorn.conf.py, testkit/servers.py) writes every line of its own
as one JSON object too (start, workers, access lines, shutdown), not only the app's lines."""

import http.client
import json
import signal

import pytest

from testkit.servers import gunicorn, shared_database

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "s3cr3tT0kenValue0123456789abcdef"


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _lines(text: str) -> list[dict]:
    """Every non-empty line as JSON (a line that is not JSON fails the test, with the line)."""
    parsed = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a log line is not JSON: {line!r}")
    return parsed


def test_with_log_format_json_every_gunicorn_line_is_json(request, tmp_path):
    with shared_database(request, tmp_path) as database_url:
        with gunicorn(database_url, tmp_path, env={"LOG_FORMAT": "json"}) as server:
            ok = _get(server.port, "/healthz")
            missing = _get(server.port, f"/p/{TOKEN}/no-such-feed.xml", {"User-Agent": "Overcast/3.0"})
            assert server.stop(signal.SIGTERM) == 0
            text = server.log_text()

    lines = _lines(text)
    assert TOKEN not in text  # the personal-feed token is redacted in the access line too
    errors = [line for line in lines if line["logger"] == "gunicorn.error"]
    messages = " | ".join(line["message"] for line in errors)
    assert "Listening at: http://127.0.0.1:" in messages and "Booting worker" in messages
    assert "Shutting down" in messages or "Handling signal: term" in messages
    assert all(line["level"] in {"INFO", "WARNING", "ERROR", "CRITICAL", "DEBUG"} for line in errors)
    assert all(line["time"].endswith("Z") and isinstance(line["pid"], int) for line in lines)

    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    by_path = {line["path"]: line for line in access}
    assert by_path["/healthz"]["status"] == ok.status == 200
    assert by_path["/healthz"]["method"] == "GET" and by_path["/healthz"]["duration_ms"] >= 0
    (gone,) = [line for line in access if line["status"] == 404]
    assert gone["path"].startswith("/p/") and TOKEN not in gone["path"]
    assert gone["user_agent"] == "Overcast/3.0" and gone["bytes"] > 0
    assert gone["request_id"] == missing.getheader("X-Request-ID")  # the app's lines carry the same id
    assert len(access) == 2  # one object per request, no text copy of it


def test_without_it_gunicorn_logs_text_as_before(request, tmp_path):
    with shared_database(request, tmp_path) as database_url:
        with gunicorn(database_url, tmp_path, env={"LOG_FORMAT": "text"}) as server:
            _get(server.port, "/healthz")
            server.stop(signal.SIGTERM)
            text = server.log_text()
    assert "Listening at: http://127.0.0.1:" in text
    assert '"GET /healthz HTTP/1.1" 200' in text  # the combined format
    assert not text.lstrip().startswith("{")
