"""The demo's published token: only on a demo site, read-only, the demo learner's own records."""

import pytest

from api.demo import DEMO_API_TOKEN, seed_demo_token
from api.errors import TokenError
from api.models import PersonalAccessToken


def test_demo_token_reads_the_learners_records_once_seeded(client, learner):
    assert seed_demo_token(user=learner) == DEMO_API_TOKEN
    assert seed_demo_token(user=learner) is None  # seeding again adds nothing
    token = PersonalAccessToken.objects.get()
    assert token.scope == "read" and token.secret_hash != DEMO_API_TOKEN
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {DEMO_API_TOKEN}")
    assert response.json()["email"] == learner.email


def test_no_demo_token_outside_a_demo_site(learner, settings):
    settings.PODCASTCME_DEMO_ALLOWED = False
    with pytest.raises(TokenError):
        seed_demo_token(user=learner)
    assert not PersonalAccessToken.objects.exists()
