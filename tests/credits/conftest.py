"""Credits fixtures used only here: an issued certificate (the activity and its post-test are in
tests/conftest.py, the answers in ``testkit.factories``)."""

import pytest

from testkit.factories import claim_and_issue


@pytest.fixture
def issued(learner, activity, evaluated, django_capture_on_commit_callbacks):
    """The learner's claim for 30 minutes, with its certificate issued (on-commit callbacks run)."""
    return claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
