"""Fault-test fixtures used by several modules here: a database that a real server process shares."""

import pytest

from testkit.servers import shared_database


@pytest.fixture
def database(request, tmp_path):
    """The DATABASE_URL of a database this test and a gunicorn it starts both use (testkit.servers)."""
    with shared_database(request, tmp_path) as url:
        yield url
