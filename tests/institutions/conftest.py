"""Fixtures for institutional access: an institution of the test provider with seats, and its admin;
for single sign-on, the test identity provider (``idp``, testkit/oidc.py) and Mercy General with 3
seats and that provider configured as its IdP (``mercy``)."""

import pytest

from testkit import factories
from testkit.institutions import give_seats, make_institution, make_institution_admin
from testkit.oidc import fresh_oidc_provider, institution_with_sso


@pytest.fixture
def institution(provider):
    return make_institution(provider)


@pytest.fixture
def seated(institution):
    """The institution with a current licence of 3 seats."""
    give_seats(institution, 3)
    return institution


@pytest.fixture
def inst_admin(institution):
    return make_institution_admin(institution, factories.make_user("cme-office@mercy.example.org"))


@pytest.fixture
def idp():
    """The test OpenID Connect provider (one per session), reset before and after the test."""
    provider = fresh_oidc_provider()
    yield provider
    provider.reset()


@pytest.fixture
def mercy(idp, provider, settings):
    """Mercy General with 3 seats and its IdP configured through the real set-up service."""
    settings.PODCASTCME_SSO_ALLOW_LOOPBACK = True
    return institution_with_sso(idp, provider)
