"""Credits fixtures used only here: an issued certificate (the activity and its post-test are in
tests/conftest.py, the answers in ``testkit.factories``)."""

import pytest

from testkit import factories
from testkit.factories import claim_and_issue


@pytest.fixture
def issued(learner, activity, evaluated, django_capture_on_commit_callbacks):
    """The learner's claim for 30 minutes, with its certificate issued (on-commit callbacks run)."""
    return claim_and_issue(learner, activity, django_capture_on_commit_callbacks)


@pytest.fixture
def acpe_activity(episode, coordinator, provider):
    """An activity of a jointly accredited provider offering ACPE contact hours (CPE Monitor)."""
    factories.jointly_accredit(provider)
    return factories.make_activity(
        provider=provider,
        episode=episode,
        coordinator=coordinator,
        other_credits=[{"kind": "acpe", "amount": "0.5", "uan": factories.UAN, "acpe_activity_type": "K"}],
    )
