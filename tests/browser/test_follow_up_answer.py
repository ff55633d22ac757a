"""A learner opens a follow-up's emailed link on a phone (390 px, not logged in), answers from memory
and sees what they got right, with the rationale; the page fits the screen."""

import re

from django.core import mail

from credits.models import Question
from followups import scheduler, services
from followups.models import FollowUp
from testkit import factories


def test_answer_a_follow_up_from_the_email_on_a_phone(
    page, live_server, settings, learner, activity, coordinator, django_capture_on_commit_callbacks
):
    settings.SITE_URL = live_server.url
    services.plan_save(
        activity=activity, actor=coordinator, enabled=True, intervals_days=[7, 30], practice_change_days=60,
        reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
    )  # fmt: skip
    services.consent_set(learner=learner, opted_in=True, where="my_learning")
    factories.pass_and_evaluate(learner, activity)
    claim = factories.claim_and_issue(learner, activity, django_capture_on_commit_callbacks).claim
    day7 = FollowUp.objects.get(claim=claim, interval_days=7)
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.follow_ups_send_due(now=day7.due_at)
    message = next(
        m for m in mail.outbox if m.subject.endswith(f"“{activity.title}”") and "Follow-up" in m.subject
    )
    link = re.search(r"(http://\S+/follow-up/\S+/)", message.body).group(1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    page.get_by_role("heading", name="Follow-up questions").wait_for()
    groups = page.locator("fieldset")
    assert groups.count() == 3
    for n in range(3):
        groups.nth(n).locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Send my answers").click()
    page.get_by_role("heading", name="Your follow-up results").wait_for()
    assert page.locator("ol.review li").count() == 3
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    day7.refresh_from_db()
    assert day7.status == "answered" and day7.score is not None
    # The same link again: already answered.
    response = page.goto(link)
    assert response is not None and response.status == 409
