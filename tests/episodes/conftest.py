"""Fixtures of the import_feed tests (test_import.py, test_import_ssrf.py): the other host, MEDIA_ROOT."""

import pytest

from testkit.feed_host import FeedServer


@pytest.fixture
def server():
    """Another podcast host on 127.0.0.1 (``testkit.feed_host``), stopped after the test."""
    feed_server = FeedServer()
    yield feed_server
    feed_server.stop()


@pytest.fixture
def media_root(settings, tmp_path):
    """A fresh MEDIA_ROOT per test, so "no files written" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
