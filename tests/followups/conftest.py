"""Follow-up fixtures: an activity with a follow-up plan reusing its post-test, a learner who opted in,
and their claim (made through credits' service, so credits' claim.created event schedules it)."""

import pytest

from credits.models import Question
from followups import services
from testkit.factories import claim_and_issue


@pytest.fixture
def plan(activity, coordinator):
    """The default schedule (7, 30, 90 days; practice change at 60) asking the three post-test questions."""
    return services.plan_save(
        activity=activity,
        actor=coordinator,
        enabled=True,
        intervals_days=[7, 30, 90],
        practice_change_days=60,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )


@pytest.fixture
def opted_in(learner):
    return services.consent_set(learner=learner, opted_in=True, where="my_learning")


@pytest.fixture
def claim(learner, activity, evaluated, plan, opted_in, django_capture_on_commit_callbacks):
    """The learner's claim, its certificate issued; on-commit callbacks run (its follow-ups scheduled)."""
    return claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
