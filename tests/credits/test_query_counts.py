"""The learner's path costs a small, fixed number of SQL statements however many learners claimed before.

Counted as the bench counts them (bench/_claims_seed.py): every statement the request sends but the
BEGIN and COMMIT of its own transaction (Django does not log them on PostgreSQL; it does on SQLite,
so they are left out here), with that transaction a real one: the tests run with
``transaction=True``. Tasks go to the database queue as in production (enqueuing is one INSERT after
the commit). The ceilings are issue 14's: the evaluation at most 8 statements, the claim at most 12
(the certificate row is issued in the claim's transaction; its PDF is rendered by a task).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from credits import services
from credits.models import Certificate, CreditClaim, Evaluation
from testkit.factories import add_prior_claims, correct_answers

# The post-test page starts an attempt (two locks, one read of the attempts so far, one of the
# questions with their options, two inserts): a fixed cost.
MAX_PAGE_QUERIES = 10
MAX_EVALUATION_QUERIES = 8
MAX_CLAIM_QUERIES = 12
MANY = 1000
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EVALUATION_FORM = {
    "objectives_met": "5",
    "relevant_to_practice": "4",
    "free_of_bias": "5",
    "intends_change": "yes",
    "change_description": "Use a supraglottic airway earlier",
    "comments": "",
}


@pytest.fixture(autouse=True)
def _production_queue(settings):
    settings.TASKS = DATABASE_TASKS


def _statements(queries: CaptureQueriesContext) -> int:
    """Statements sent, but the request transaction's own BEGIN and COMMIT (see the module's note)."""
    return sum(1 for q in queries.captured_queries if q["sql"] not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT"))


def _page_queries(user, activity) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("credits:post_test", args=[activity.pk]))
    assert response.status_code == 200
    assert b'name="attempt"' in response.content
    return _statements(queries)


def _passed(user, activity) -> None:
    attempt = services.attempt_start(learner=user, activity=activity)
    services.attempt_submit(attempt_id=attempt.pk, learner=user, answers=correct_answers(attempt))


def _evaluation_queries(user, activity) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("credits:evaluation", args=[activity.pk]), EVALUATION_FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("credits:claim", args=[activity.pk])
    assert Evaluation.objects.filter(learner=user, activity=activity).count() == 1
    return _statements(queries)


def _claim_queries(user, activity) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
        )
    # Claimed: on to the certificate's verification page (issue 15).
    assert response.status_code == 302 and response["Location"].startswith("/verify/")
    certificate = Certificate.objects.get(claim__learner=user, claim__activity=activity)
    assert certificate.number  # the row is issued in the claim's transaction
    return _statements(queries)


@pytest.mark.django_db(transaction=True)
def test_post_test_page_queries_do_not_grow_with_other_learners_claims(make_user, activity):
    add_prior_claims(activity, 1, prefix="few")
    first = make_user("first@example.org", profile=True)
    few = _page_queries(first, activity)

    add_prior_claims(activity, MANY - 1, prefix="many")
    assert CreditClaim.objects.filter(activity=activity).count() == MANY
    second = make_user("second@example.org", profile=True)
    many = _page_queries(second, activity)

    assert few == many, f"{few} queries with 1 prior claim, {many} with {MANY}"
    assert many <= MAX_PAGE_QUERIES


@pytest.mark.django_db(transaction=True)
def test_evaluation_takes_at_most_8_statements_at_1_and_1000_prior_claims(make_user, activity):
    add_prior_claims(activity, 1, prefix="few")
    first = make_user("first@example.org", profile=True)
    _passed(first, activity)
    few = _evaluation_queries(first, activity)

    add_prior_claims(activity, MANY - 1, prefix="many")
    second = make_user("second@example.org", profile=True)
    _passed(second, activity)
    many = _evaluation_queries(second, activity)

    assert few == many, f"{few} statements with 1 prior claim, {many} with {MANY}"
    assert many <= MAX_EVALUATION_QUERIES, f"the evaluation took {many} statements"


@pytest.mark.django_db(transaction=True)
def test_claim_takes_at_most_12_statements_at_1_and_1000_prior_claims(make_user, activity):
    add_prior_claims(activity, 1, prefix="few")
    first = make_user("first@example.org", profile=True)
    _passed(first, activity)
    _evaluation_queries(first, activity)
    few = _claim_queries(first, activity)

    add_prior_claims(activity, MANY - 2, prefix="many")  # with the first learner's: MANY before the next
    assert CreditClaim.objects.filter(activity=activity).count() == MANY
    second = make_user("second@example.org", profile=True)
    _passed(second, activity)
    _evaluation_queries(second, activity)
    many = _claim_queries(second, activity)

    assert few == many, f"{few} statements with 1 prior claim, {many} with {MANY}"
    assert many <= MAX_CLAIM_QUERIES, f"the claim took {many} statements"
    claims = CreditClaim.objects.filter(activity=activity, learner__in=[first, second])
    assert claims.count() == 2
    numbers = set(Certificate.objects.filter(claim__in=claims).values_list("number", flat=True))
    assert len(numbers) == 2
