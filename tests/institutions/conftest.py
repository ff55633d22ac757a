"""Fixtures for institutional access: an institution of the test provider with seats, and its admin."""

import pytest

from testkit import factories
from testkit.institutions import give_seats, make_institution, make_institution_admin


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
