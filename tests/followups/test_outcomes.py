"""The outcomes report of an activity (issue 18, item 3): paired knowledge figures, response rates,
practice change against intent, the page, its charts and CSV, access, and constant queries."""

import csv
import io

import pytest
from django.urls import reverse

from credits import certificates
from credits.models import Certificate, CreditClaim, Evaluation
from followups.models import FollowUpKind, FollowUpStatus
from followups.outcomes import outcomes_report
from testkit import factories
from testkit.mfa import mfa_login
from testkit.outcomes import answer, claims_of, follow_up, make_plan, practice, set_baseline

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(activity):
    """Six learners who claimed the activity (bulk, the rows the services write), and the plan."""
    factories.add_prior_claims(activity, 6, prefix="cohort")
    make_plan(activity, new_question=True)
    return claims_of(activity)


def test_knowledge_is_paired_with_the_same_learners_answers_at_their_claim(activity, cohort):
    # Baselines: learner 0 got question 1 wrong at the claim (still passed, say), the rest all right.
    set_baseline(cohort[0], [False, True, True])
    # Day 7: learners 0-3 answer (3 repeated questions + the new one); day 30: learners 0-1.
    answer(cohort[0], days=7, correct=[True, True, False, True])
    answer(cohort[1], days=7, correct=[True, False, True, False])
    answer(cohort[2], days=7, correct=[True, True, True, True])
    answer(cohort[3], days=7, correct=[False, True, True, True])
    answer(cohort[0], days=30, correct=[False, False, True, True])
    answer(cohort[1], days=30, correct=[True, True, True, True])
    follow_up(cohort[4], days=7, status=FollowUpStatus.EXPIRED)
    follow_up(cohort[5], days=7, status=FollowUpStatus.SENT)
    follow_up(cohort[4], days=30, status=FollowUpStatus.SCHEDULED)

    report = outcomes_report(activity)

    by_days = {row.days: row for row in report.intervals}
    assert sorted(by_days) == [7, 30, 90]
    day7 = by_days[7].overall
    assert day7.learners == 4
    # Paired: 4 learners x 3 repeated questions; at the claim 11 of 12 right (learner 0's q1 wrong).
    assert (day7.at_claim.correct, day7.at_claim.n) == (11, 12)
    assert (day7.at_follow_up.correct, day7.at_follow_up.n) == (9, 12)
    assert day7.at_claim.percent == 91.7 and day7.at_follow_up.percent == 75.0
    assert day7.change == -16.7
    day30 = by_days[30].overall
    assert day30.learners == 2 and (day30.at_claim.correct, day30.at_claim.n) == (5, 6)
    assert (day30.at_follow_up.correct, day30.at_follow_up.n) == (4, 6)
    assert by_days[90].overall.learners == 0 and by_days[90].overall.at_claim.percent is None

    # Response rates: sent counts everything that went out; the rate is answered / (answered + expired).
    assert (by_days[7].sent, by_days[7].answered, by_days[7].expired, by_days[7].open) == (6, 4, 1, 1)
    assert by_days[7].response_rate == 80.0
    assert by_days[30].scheduled == 1 and by_days[30].sent == 2

    # Per question: the first question at day 7, paired, and its all-claims context (6 claims).
    first = report.questions[0]
    assert (first.all_claims.correct, first.all_claims.n) == (5, 6)
    q7 = first.by_interval[7]
    assert (q7.at_claim.correct, q7.at_claim.n, q7.at_follow_up.correct, q7.learners) == (3, 4, 3, 4)
    # The question written for the follow-up has follow-up figures and no baseline.
    new = report.questions[-1]
    assert new.question.source_id is None
    assert new.by_interval[7].at_claim.n == 0
    assert (new.by_interval[7].follow_up_all.correct, new.by_interval[7].follow_up_all.n) == (3, 4)


def test_revoked_credit_leaves_the_report(activity, cohort):
    answer(cohort[0], days=7, correct=[False, False, False, False])
    answer(cohort[1], days=7, correct=[True, True, True, True])
    practice(cohort[0], changed="no", barriers=["time"])
    certificates.certificate_revoke(
        certificate=Certificate.objects.get(claim=cohort[0]), actor=None, reason="Attestation was false"
    )

    report = outcomes_report(activity)

    assert report.claims == 5
    day7 = next(r for r in report.intervals if r.days == 7)
    assert day7.overall.learners == 1 and day7.overall.at_follow_up.percent == 100.0
    assert day7.answered == 1
    assert report.practice.answered == 0


def test_practice_change_reported_against_intent_with_barriers(activity, cohort):
    Evaluation.objects.filter(pk=cohort[5].evaluation_id).update(intends_change=False)
    practice(cohort[0], changed="yes")
    practice(cohort[1], changed="partly", barriers=["time", "cost"])
    practice(cohort[2], changed="no", barriers=["time", "other"], other="Our formulary lacks it")
    practice(cohort[5], changed="na")
    follow_up(cohort[3], days=60, kind=FollowUpKind.PRACTICE, status=FollowUpStatus.EXPIRED)

    p = outcomes_report(activity).practice

    assert (p.claims, p.intended, p.answered, p.changed_some) == (6, 5, 4, 2)
    rows = {code: (n, intended, not_intended) for code, _l, n, _pct, intended, not_intended in p.changed_rows}
    assert rows["yes"] == (1, 1, 0) and rows["partly"] == (1, 1, 0) and rows["na"] == (1, 0, 1)
    barriers = {code: n for code, _l, n, _pct in p.barrier_rows}
    assert barriers["time"] == 2 and barriers["cost"] == 1 and barriers["other"] == 1
    assert p.barrier_other == ["Our formulary lacks it"]
    assert p.rates is not None and (p.rates.sent, p.rates.answered, p.rates.expired) == (5, 4, 1)


def test_the_page_shows_the_figures_charts_and_tables(coordinator_client, activity, cohort):
    for claim in cohort[:5]:
        answer(claim, days=30, correct=[True, True, False, True])
    practice(cohort[0], changed="partly", barriers=["system"])

    response = coordinator_client.get(reverse("followups:outcomes", args=[activity.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="img"' in page and "<title" in page and "<desc" in page  # accessible SVG
    assert 'id="knowledge-overall"' in page and 'id="response-rates"' in page and 'id="barriers"' in page
    assert "66.7%" in page and "100.0%" in page  # at follow-up (10/15) and at the claim (15/15)
    assert "Day 30 (n=5)" in page


def test_the_csv_has_the_figures_and_defuses_hostile_learner_text(coordinator_client, activity, cohort):
    answer(cohort[0], days=7, correct=[True, False, True, True])
    practice(cohort[0], changed="no", barriers=["other"], other='=HYPERLINK("http://evil.example","x")')
    practice(cohort[1], changed="no", barriers=["other"], other="<script>alert(1)</script>")

    response = coordinator_client.get(reverse("followups:outcomes_csv", args=[activity.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "private, no-store"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Section", "Interval (days)", "Item"]
    overall7 = next(r for r in rows if r[0].startswith("Knowledge, overall") and r[1] == "7")
    assert overall7[3:8] == ["1", "3", "100.0", "66.7", "-33.3"]
    words = [r[2] for r in rows if r[0] == "Barrier, in the learner's words"]
    assert words == ['\'=HYPERLINK("http://evil.example","x")', "<script>alert(1)</script>"]
    # No text cell starts like a formula (numbers, such as a fall of -33.3 points, stay numbers).
    assert all(not cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    assert all(not cell.startswith("-") or cell[1:].replace(".", "").isdigit() for r in rows for cell in r)

    page = coordinator_client.get(reverse("followups:outcomes", args=[activity.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_activity_without_a_plan_shows_a_clear_empty_state(coordinator_client, activity):
    response = coordinator_client.get(reverse("followups:outcomes", args=[activity.pk]))
    assert response.status_code == 200
    assert 'id="outcomes-empty"' in response.content.decode()
    assert "no follow-up plan yet" in response.content.decode()
    assert reverse("followups:coordinator_plan", args=[activity.pk]) in response.content.decode()
    csv_response = coordinator_client.get(reverse("followups:outcomes_csv", args=[activity.pk]))
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Section,")


def test_a_plan_with_nothing_answered_says_so(coordinator_client, activity, cohort):
    follow_up(cohort[0], days=7, status=FollowUpStatus.SENT)
    page = coordinator_client.get(reverse("followups:outcomes", args=[activity.pk])).content.decode()
    assert 'id="outcomes-no-answers"' in page


def test_a_learner_gets_403_and_another_providers_coordinator_404(client, activity, cohort, make_user):
    url = reverse("followups:outcomes", args=[activity.pk])
    csv_url = reverse("followups:outcomes_csv", args=[activity.pk])
    learner = make_user("curious@example.org", profile=True)
    client.force_login(learner)
    assert client.get(url).status_code == 403
    assert client.get(csv_url).status_code == 403
    client.logout()
    other = factories.make_provider(name="Other Society", slug="other")
    stranger = factories.make_coordinator(other, email="stranger@example.org")
    mfa_login(client, stranger)
    assert client.get(url).status_code == 404
    assert client.get(csv_url).status_code == 404
    assert client.get(reverse("followups:outcomes", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, activity):
    response = client.get(reverse("followups:outcomes", args=[activity.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_post_is_not_allowed(coordinator_client, activity):
    assert coordinator_client.post(reverse("followups:outcomes", args=[activity.pk])).status_code == 405


def test_queries_do_not_grow_with_learners(coordinator_client, activity, django_assert_num_queries):
    make_plan(activity, new_question=True)
    url = reverse("followups:outcomes", args=[activity.pk])
    csv_url = reverse("followups:outcomes_csv", args=[activity.pk])

    def grow(prefix: str, n: int) -> None:
        factories.add_prior_claims(activity, n, prefix=prefix)
        for i, claim in enumerate(CreditClaim.objects.filter(learner__email__startswith=prefix)):
            answer(claim, days=7, correct=[True, i % 2 == 0, True, False])
            answer(claim, days=30, correct=[i % 3 == 0, True, False, True])
            practice(claim, changed=["yes", "no", "partly"][i % 3], barriers=["time"], other=f"words {i}")

    def count(u: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = coordinator_client.get(u)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(queries.captured_queries)

    grow("small", 2)
    few = [count(url), count(csv_url)]
    grow("large", 12)
    with django_assert_num_queries(few[0]):
        response = coordinator_client.get(url)
    assert response.status_code == 200
    assert "Day 7 (n=14)" in response.content.decode()
    assert count(csv_url) == few[1]
