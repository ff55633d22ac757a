"""PostgreSQL restarts while the app keeps persistent connections: the next request is still answered.

Needs the throwaway PostgreSQL of scripts/with-postgres.sh, which the test stops and starts.
"""

import os
import subprocess
from collections.abc import Callable

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.test import RequestFactory

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not os.environ.get("PODCASTCME_TEST_PG_CTL"),
        reason="needs the throwaway PostgreSQL of scripts/with-postgres.sh (the test restarts it); "
        "make test runs it",
    ),
]


def _get(handler: WSGIHandler, path: str) -> int:
    """A request through Django's real WSGI handler: request_started/finished manage connections,
    as under gunicorn (the test client switches that off)."""
    environ = RequestFactory().get(path).environ
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable:
        statuses.append(status)
        return lambda data: None

    body = handler(environ, start_response)
    try:
        b"".join(body)
    finally:
        body.close()
    return int(statuses[0].split()[0])


def test_the_first_request_after_a_database_restart_is_answered(show):
    control = os.environ["PODCASTCME_TEST_PG_CTL"]
    default = connections["default"]
    default.close()
    saved = default.settings_dict["CONN_MAX_AGE"]
    default.settings_dict["CONN_MAX_AGE"] = 60  # persistent connections, as DB_CONN_MAX_AGE=60 in production
    try:
        handler = WSGIHandler()
        assert _get(handler, "/") == 200  # the connection is kept for the next request
        subprocess.run([control, "stop"], check=True, timeout=90)
        subprocess.run([control, "start"], check=True, timeout=90)
        # The kept connection died with the server; it is tested before use and replaced.
        assert _get(handler, "/") == 200
        assert _get(handler, f"/shows/{show.slug}/") == 200
    finally:
        default.settings_dict["CONN_MAX_AGE"] = saved
        default.close()


def test_healthz_says_unavailable_while_the_database_is_down_and_ok_after():
    control = os.environ["PODCASTCME_TEST_PG_CTL"]
    handler = WSGIHandler()
    assert _get(handler, "/healthz") == 200
    subprocess.run([control, "stop"], check=True, timeout=90)
    try:
        assert _get(handler, "/healthz") == 503  # not a 500, and no details for the public
    finally:
        subprocess.run([control, "start"], check=True, timeout=90)
    assert _get(handler, "/healthz") == 200
