"""Found in review: a post-test replaced after follow-ups were answered keeps the report's paired
baseline (credits' quiz_replace deletes the post-test questions the follow-up questions repeat)."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from credits import services as credit_services
from followups import links, scheduler
from followups.models import FollowUp, FollowUpQuestion
from followups.outcomes import outcomes_report


def _answer_day_7_right(claim):
    client = Client()  # the link needs no login
    follow_up = FollowUp.objects.get(claim=claim, kind="knowledge", interval_days=7)
    scheduler.follow_ups_send_due(now=timezone.now() + datetime.timedelta(days=7))
    FollowUp.objects.filter(pk=follow_up.pk).update(
        sent_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(days=14)
    )
    follow_up.refresh_from_db()
    answers = {}
    for q in FollowUpQuestion.objects.filter(pk__in=[q["id"] for q in follow_up.questions]):
        answers[f"q{q.pk}"] = str(next(o["id"] for o in q.options if o["correct"]))
    response = client.post(reverse("followups:answer", args=[links.follow_up_token(follow_up)]), answers)
    assert response.status_code == 200


def test_a_replaced_post_test_keeps_the_paired_baseline_of_answers_collected(
    claim, activity, coordinator, coordinator_client
):
    _answer_day_7_right(claim)
    before = outcomes_report(activity).intervals[0].overall
    assert (before.learners, before.at_claim.n, before.at_follow_up.n) == (1, 3, 3)

    # The coordinator uploads the post-test again (credits deletes and recreates its questions).
    credit_services.quiz_replace(
        activity=activity, actor=coordinator, data=credit_services.quiz_export(activity)
    )
    assert not FollowUpQuestion.objects.filter(source__isnull=False).exists()

    report = outcomes_report(activity)
    after = report.intervals[0].overall
    assert (after.learners, after.at_claim.n, after.at_follow_up.n) == (1, 3, 3)
    assert after.at_claim.percent == 100.0 and after.at_follow_up.percent == 100.0
    assert all(q.all_claims.n == 1 for q in report.questions)  # the baseline context too
    csv = b"".join(
        coordinator_client.get(reverse("followups:outcomes_csv", args=[activity.pk])).streaming_content
    ).decode()
    assert "Knowledge, per question (paired)" in csv and "Knowledge, new question" not in csv
