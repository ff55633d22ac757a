"""Fixtures for the fediverse tests (shared by this folder's modules; append yours below)."""

import pytest

from testkit.fediverse_peer import running_peer


@pytest.fixture
def fediverse_peer():
    """A second, independent ActivityPub server (bovine) on 127.0.0.1: ``testkit.fediverse_peer``."""
    with running_peer() as peer:
        yield peer


@pytest.fixture
def federating_site(settings, live_server):
    """The live server as the public site (ids and the handle's domain are its URL), allowed to
    reach actors on loopback (the peer runs there). Tests using it need
    ``pytest.mark.django_db(transaction=True)``: the live server sees only committed rows."""
    settings.SITE_URL = live_server.url
    settings.PODCASTCME_FEDIVERSE_ALLOW_LOOPBACK = True
    return live_server
