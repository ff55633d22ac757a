"""The post-test page and a claim cost the same SQL queries however many learners claimed before."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits import services
from credits.models import CreditClaim
from testkit.factories import add_prior_claims, correct_answers

# A page or a claim should cost a few dozen queries at most, never one per claim on the activity.
MAX_QUERIES = 30
MANY = 60


def _page_queries(user, activity) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("credits:post_test", args=[activity.pk]))
    assert response.status_code == 200
    assert b'name="attempt"' in response.content
    return len(queries.captured_queries)


def _ready_to_claim(user, activity) -> None:
    attempt = services.attempt_start(learner=user, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=user, answers=correct_answers(attempt))
    services.evaluation_submit(
        learner=user,
        activity=activity,
        data={
            "objectives_met": 5,
            "relevant_to_practice": 4,
            "free_of_bias": 5,
            "intends_change": False,
            "change_description": "",
            "comments": "",
        },
    )


def _claim_queries(user, activity) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
        )
    assert response.status_code == 200
    assert b"Credit claimed" in response.content
    return len(queries.captured_queries)


@pytest.mark.django_db
def test_post_test_page_queries_do_not_grow_with_other_learners_claims(make_user, activity):
    add_prior_claims(activity, 1, prefix="few")
    first = make_user("first@example.org", profile=True)
    few = _page_queries(first, activity)

    add_prior_claims(activity, MANY - 1, prefix="many")
    assert CreditClaim.objects.filter(activity=activity).count() == MANY
    second = make_user("second@example.org", profile=True)
    many = _page_queries(second, activity)

    assert few == many, f"{few} queries with 1 prior claim, {many} with {MANY}"
    assert many <= MAX_QUERIES


@pytest.mark.django_db
def test_claim_queries_do_not_grow_with_other_learners_claims(make_user, activity):
    add_prior_claims(activity, 1, prefix="few")
    first = make_user("first@example.org", profile=True)
    _ready_to_claim(first, activity)
    few = _claim_queries(first, activity)

    add_prior_claims(activity, MANY - 2, prefix="many")  # with the first learner's: MANY before the next
    assert CreditClaim.objects.filter(activity=activity).count() == MANY
    second = make_user("second@example.org", profile=True)
    _ready_to_claim(second, activity)
    many = _claim_queries(second, activity)

    assert few == many, f"{few} queries with 1 prior claim, {many} with {MANY}"
    assert many <= MAX_QUERIES
    assert CreditClaim.objects.filter(activity=activity, learner__in=[first, second]).count() == 2
