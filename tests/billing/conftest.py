"""Billing fixtures used only here: fees off, a learner's client (the fake Stripe is in tests/conftest.py)."""

import pytest


@pytest.fixture
def no_stripe(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client
