"""Where the learner meets follow-ups besides email: the bonus item in their personal feed (podcast
parsers still read the feed), the offer after a claim and on My learning, and their retention there.
And the coordinator's setup page."""

import datetime
import io

import feedparser
import mutagen.mp3
import podcastparser
import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from credits.models import Question
from episodes.personal_feeds import personal_feed_get_or_create, personal_feed_url
from followups import links, scheduler, services
from followups.models import FollowUp, FollowUpConsent, FollowUpPlan, FollowUpQuestion, FollowUpStatus


def _send_now(claim, day=7):
    follow_up = FollowUp.objects.get(claim=claim, kind="knowledge", interval_days=day)
    scheduler.follow_ups_send_due(now=follow_up.due_at)
    FollowUp.objects.filter(pk=follow_up.pk).update(
        sent_at=timezone.now(), expires_at=timezone.now() + datetime.timedelta(days=14)
    )
    follow_up.refresh_from_db()
    return follow_up


def _personal_feed(client, learner, show):
    with transaction.atomic():
        url = personal_feed_url(personal_feed_get_or_create(user=learner, show=show))
    response = client.get(url.removeprefix(settings.SITE_URL))
    assert response.status_code == 200
    return response.content


def test_an_open_follow_up_is_a_bonus_item_in_the_personal_feed(client, claim, learner, show):
    follow_up = _send_now(claim)
    body = _personal_feed(client, learner, show)
    parsed = podcastparser.parse("https://example.org/feed", io.BytesIO(body))
    titles = [e["title"] for e in parsed["episodes"]]
    title = f"Follow-up: 3 questions on {claim.activity.episode.title}"
    assert title in titles
    item = next(e for e in parsed["episodes"] if e["title"] == title)
    assert item["link"] == links.follow_up_url(follow_up)
    assert len(item["enclosures"]) == 1 and item["enclosures"][0]["mime_type"] == "audio/mpeg"
    via_feedparser = feedparser.parse(body)
    assert not via_feedparser.bozo
    assert title in [e.title for e in via_feedparser.entries]
    # The enclosure is one second of real, silent MP3, with byte ranges as Apple's app asks.
    audio_path = item["enclosures"][0]["url"].removeprefix(settings.SITE_URL)
    audio = client.get(audio_path)
    assert audio.status_code == 200 and audio["Content-Type"] == "audio/mpeg"
    assert 0.9 < mutagen.mp3.MP3(io.BytesIO(audio.content)).info.length < 1.1
    probe = client.get(audio_path, HTTP_RANGE="bytes=0-1")
    assert probe.status_code == 206 and probe.content == audio.content[:2]
    # Once answered, it is gone from the feed.
    FollowUp.objects.filter(pk=follow_up.pk).update(
        status=FollowUpStatus.ANSWERED, answered_at=timezone.now()
    )
    assert title.encode() not in _personal_feed(client, learner, show)


def test_another_learners_feed_has_no_follow_up(client, claim, show, make_user):
    _send_now(claim)
    other = make_user("other@example.org", profile=True)
    assert b"Follow-up:" not in _personal_feed(client, other, show)


def test_the_enclosure_of_a_forged_link_is_not_found(client):
    assert client.get(reverse("followups:reminder_audio", args=["forged"])).status_code == 404


# --- Consent offers and My learning ---------------------------------------------------------------


def test_the_certificate_page_after_the_claim_offers_follow_ups(
    client, learner, activity, evaluated, plan, django_capture_on_commit_callbacks
):
    from testkit.factories import claim_and_issue

    certificate = claim_and_issue(learner, activity, django_capture_on_commit_callbacks)
    client.force_login(learner)
    page = client.get(reverse("credits:verify", args=[certificate.code]))
    body = page.content.decode()
    assert "Send me follow-ups" in body
    response = client.post(
        reverse("followups:consent"),
        {"opted_in": "1", "where": "claim", "next": reverse("credits:verify", args=[certificate.code])},
    )
    assert response.status_code == 302 and response["Location"].endswith(certificate.code + "/")
    assert FollowUpConsent.objects.get(learner=learner).opted_in
    assert FollowUp.objects.filter(claim=certificate.claim).count() == 4
    assert AuditEvent.objects.filter(action="follow_up_consent.changed", data__where="claim").exists()
    # A visitor (the board checking the certificate) sees no offer.
    client.logout()
    assert "follow-ups" not in client.get(reverse("credits:verify", args=[certificate.code])).content.decode()


def test_the_consent_switch_refuses_bad_input_and_strangers(client, learner):
    url = reverse("followups:consent")
    assert client.post(url, {"opted_in": "1"}).status_code == 302  # to the login page
    assert not FollowUpConsent.objects.exists()
    client.force_login(learner)
    assert client.post(url, {"opted_in": "yes"}).status_code == 400
    assert client.get(url).status_code == 405
    response = client.post(url, {"opted_in": "1", "next": "https://evil.example/"})
    assert response["Location"] == reverse("credits:my_learning")


def test_my_learning_shows_retention_and_the_open_links(client, claim, learner, make_user):
    follow_up = _send_now(claim)
    right = {}
    for q in FollowUpQuestion.objects.filter(pk__in=[q["id"] for q in follow_up.questions]):
        right[q.pk] = next(o["id"] for o in q.options if o["correct"])
    first = next(iter(right))
    right[first] = next(o["id"] for o in FollowUpQuestion.objects.get(pk=first).options if not o["correct"])
    services.follow_up_answer_knowledge(follow_up=follow_up, answers=right)
    day30 = _send_now(claim, day=30)
    client.force_login(learner)
    body = client.get(reverse("credits:my_learning")).content.decode()
    assert "100% at claim → 67% at 7 days" in body
    assert links.follow_up_token(day30) in body
    assert "Turn follow-ups off" in body
    # Another learner sees none of it.
    other = make_user("other@example.org", profile=True)
    client.force_login(other)
    body = client.get(reverse("credits:my_learning")).content.decode()
    assert "at claim" not in body and links.follow_up_token(day30) not in body
    assert "Send me follow-ups" in body


# --- The coordinator's setup page -----------------------------------------------------------------


def _plan_url(activity):
    return reverse("followups:coordinator_plan", args=[activity.pk])


def test_the_coordinator_sets_up_the_follow_up(coordinator_client, activity):
    page = coordinator_client.get(_plan_url(activity))
    assert page.status_code == 200
    questions = list(Question.objects.filter(activity=activity).order_by("position"))
    response = coordinator_client.post(
        _plan_url(activity),
        {
            "enabled": "on",
            "intervals": "30, 7",
            "practice_change_days": "75",
            "reused": [str(questions[0].pk)],
        },
    )
    assert response.status_code == 302
    plan = FollowUpPlan.objects.get(activity=activity)
    assert plan.intervals_days == [7, 30] and plan.practice_change_days == 75
    reused = FollowUpQuestion.objects.get(plan=plan)
    assert reused.source == questions[0] and reused.text == questions[0].text
    assert [o["id"] for o in reused.options] == [o.pk for o in questions[0].options.all()]
    assert AuditEvent.objects.filter(action="follow_up_plan.saved", object_id=str(plan.pk)).exists()
    response = coordinator_client.post(
        reverse("followups:coordinator_question_add", args=[activity.pk]),
        {"text": "Which sign?", "option_1": "A", "option_2": "B", "option_3": "C", "correct": "2",
         "rationale": "Because B."},
    )  # fmt: skip
    assert response.status_code == 302
    own = FollowUpQuestion.objects.get(plan=plan, source__isnull=True)
    assert [o["correct"] for o in own.options] == [False, True, False]
    response = coordinator_client.post(
        reverse("followups:coordinator_question_remove", args=[activity.pk, own.pk])
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert not own.active
    assert AuditEvent.objects.filter(action="follow_up_plan.question_removed").exists()


@pytest.mark.parametrize(
    "intervals, practice, message",
    [
        ("0, 7", "60", "between 1 and 365"),
        ("7, 400", "60", "between 1 and 365"),
        ("7, 7", "60", "listed twice"),
        ("1, 2, 3, 4, 5, 6", "60", "At most 5"),
        ("seven", "60", "whole number"),
        ("", "60", "This field is required"),
        ("7", "59", "greater than or equal to 60"),
        ("7", "91", "less than or equal to 90"),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_saved(
    coordinator_client, activity, intervals, practice, message
):
    response = coordinator_client.post(
        _plan_url(activity), {"enabled": "on", "intervals": intervals, "practice_change_days": practice}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FollowUpPlan.objects.exists()


def test_another_activitys_question_cannot_be_reused(coordinator_client, activity):
    response = coordinator_client.post(
        _plan_url(activity),
        {"enabled": "on", "intervals": "7", "practice_change_days": "60", "reused": ["999999"]},
    )
    assert response.status_code == 400
    assert not FollowUpPlan.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"text": "", "option_1": "A", "option_2": "B", "correct": "1"}, "This field is required"),
        ({"text": "Q?", "option_1": "A", "option_2": "", "correct": "1"}, "This field is required"),
        ({"text": "Q?", "option_1": "A", "option_2": "B", "correct": "3"}, "among those filled in"),
        ({"text": "Q?", "option_1": "A", "option_2": "a", "correct": "1"}, "say the same"),
        ({"text": "Q?", "option_1": "A", "option_2": "B", "correct": "9"}, "Select a valid choice"),
    ],
)
def test_a_bad_question_is_refused_and_nothing_saved(coordinator_client, activity, data, message):
    response = coordinator_client.post(
        reverse("followups:coordinator_question_add", args=[activity.pk]), data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FollowUpQuestion.objects.exists()


def test_other_providers_coordinators_and_learners_cannot_see_the_page(client, activity, learner, make_user):
    from testkit import factories
    from testkit.mfa import mfa_login

    client.force_login(learner)
    assert client.get(_plan_url(activity)).status_code in (302, 403)
    other = factories.make_coordinator(
        factories.make_provider(name="Other", slug="other"), "other@example.org"
    )
    mfa_login(client, other)
    assert client.get(_plan_url(activity)).status_code == 404
    assert (
        client.post(_plan_url(activity), {"intervals": "7", "practice_change_days": "60"}).status_code == 404
    )
    assert not FollowUpPlan.objects.exists()
