"""Fixtures for the API tests: tokens for the learner and the coordinator, a client that sends them."""

import pytest

from api.tokens import token_create


@pytest.fixture
def make_token(db):
    """``make_token(user, scope="read", **fields)`` -> the raw token (created through the service)."""

    def make(user, scope: str = "read", name: str = "Test integration", **fields) -> str:
        _token, raw = token_create(user=user, name=name, scope=scope, **fields)
        return raw

    return make


@pytest.fixture
def bearer():
    """``bearer(raw)`` -> the test client's keyword arguments sending ``Authorization: Bearer raw``."""

    def headers(raw: str) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return headers


@pytest.fixture
def other_learner(make_user):
    return make_user("other@example.org", profile=True)


@pytest.fixture
def learner_token(learner, make_token) -> str:
    return make_token(learner)


@pytest.fixture
def coordinator_token(coordinator, make_token) -> str:
    return make_token(coordinator)
