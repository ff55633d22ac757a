"""The cluster test runs only under `make test-cluster` (PODCASTCME_CLUSTER_TEST=1, PostgreSQL).

Everywhere else (make test-sqlite, make test-postgres, a bare pytest) its items are deselected, not
skipped: the normal runs neither start the cluster nor report it as skipped.
"""

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PODCASTCME_CLUSTER_TEST") == "1":
        return
    cluster = [item for item in items if item.get_closest_marker("cluster") is not None]
    if cluster:
        config.hook.pytest_deselected(items=cluster)
        items[:] = [item for item in items if item.get_closest_marker("cluster") is None]


@pytest.fixture(autouse=True)
def _postgresql_only(request):
    if request.node.get_closest_marker("cluster") is None:
        return
    from django.db import connections

    if connections["default"].vendor != "postgresql":
        pytest.fail("the cluster test runs on PostgreSQL, the production database: `make test-cluster`")
