"""Fixtures shared by more than one test folder: users in each role, a show, an activity with its
post-test, logged-in clients, the fake Stripe. Built with ``testkit.factories`` over the real models.

Helpers that are not fixtures (``mfa_login``, ``PASSWORD``, ``correct_answers``, real audio, the
fakes) live in ``testkit``: test modules import from there, never from a conftest or another test.
"""

import pytest
from django.core.cache import caches

from billing import services as billing_services
from episodes.models import ShowHost
from testkit import factories
from testkit.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, running_fake_stripe
from testkit.mfa import mfa_login


@pytest.fixture(autouse=True)
def _clear_cache():
    # allauth's rate limits and built feeds live in caches; each test starts with a clean slate.
    from episodes.feeds import forget_built_feeds

    for cache in caches.all():
        cache.clear()
    forget_built_feeds()
    yield
    for cache in caches.all():
        cache.clear()
    forget_built_feeds()


@pytest.fixture(autouse=True)
def _every_page_has_a_content_security_policy(monkeypatch):
    """Every HTML page any test renders through the test client carries the CSP (issue 10, hole 11)."""
    from django.test.client import ClientHandler

    render = ClientHandler.__call__

    def checked(self, environ):
        response = render(self, environ)
        if response.get("Content-Type", "").startswith("text/html"):
            assert "Content-Security-Policy" in response, f"no CSP on {environ.get('PATH_INFO')}"
        return response

    monkeypatch.setattr(ClientHandler, "__call__", checked)


@pytest.fixture
def make_user(db):
    """``testkit.factories.make_user``: a user with the password ``PASSWORD`` (and a profile if asked)."""
    return factories.make_user


@pytest.fixture
def learner(make_user):
    return make_user("learner@example.org", profile=True)


@pytest.fixture
def provider(db):
    return factories.make_provider()


@pytest.fixture
def show(db):
    return factories.make_show()


@pytest.fixture
def host(make_user, show):
    user = make_user("host@example.org")
    ShowHost.objects.create(show=show, user=user)
    return user


@pytest.fixture
def coordinator(provider):
    return factories.make_coordinator(provider)


@pytest.fixture
def host_client(client, host):
    """The test client as the show's host, after a two-factor login."""
    mfa_login(client, host)
    return client


@pytest.fixture
def coordinator_client(client, coordinator):
    """The test client as the provider's coordinator, after a two-factor login."""
    mfa_login(client, coordinator)
    return client


# --- Episodes and CME activities ------------------------------------------------------------------


@pytest.fixture
def published_episode(show):
    """A 70-second MP3 episode (real ffmpeg audio), published an hour ago through the service."""
    return factories.make_audio_episode(show)


@pytest.fixture
def show_grant(show, provider):
    """The show's hosts allow the provider to make its episodes activities (credits/grants.py)."""
    return factories.grant_show(show, provider)


@pytest.fixture
def episode(show, show_grant):
    return factories.make_episode(show)


@pytest.fixture
def activity(episode, provider, coordinator):
    """A 0.75-credit activity on ``episode`` with the three-question post-test ``factories.QUIZ``."""
    return factories.make_activity(provider=provider, episode=episode, coordinator=coordinator)


@pytest.fixture
def passed(learner, activity):
    return factories.pass_post_test(learner, activity)


@pytest.fixture
def evaluated(learner, activity, passed):
    return factories.evaluate(learner, activity)


# --- Payments -------------------------------------------------------------------------------------


@pytest.fixture
def stripe_fake(settings):
    """Fees on, against the fake Stripe API on 127.0.0.1 (``testkit.fake_stripe``)."""
    with running_fake_stripe() as fake:
        settings.STRIPE_SECRET_KEY = SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def fee(activity, stripe_fake, coordinator):
    return billing_services.activity_fee_set(activity=activity, actor=coordinator, amount=4900)
