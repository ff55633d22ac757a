"""An activity with a three-question post-test on a published episode."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from credits import grants, services
from episodes.models import Episode

QUIZ = {
    "questions": [
        {
            "text": "First-line device after failed intubation?",
            "rationale": "A second-generation supraglottic airway restores oxygenation.",
            "references": ["10.1093/bja/aev371", "https://das.uk.com/guidelines"],
            "options": [
                {"text": "Supraglottic airway", "correct": True},
                {"text": "Blind nasal intubation"},
                {"text": "Wait for help"},
                {"text": "Awake fibreoptic"},
            ],
        },
        {
            "text": "CICO rescue technique?",
            "rationale": "Scalpel-bougie-tube.",
            "references": [],
            "options": [{"text": "Scalpel cricothyroidotomy", "correct": True}, {"text": "Needle jet"}],
        },
        {
            "text": "Max attempts at laryngoscopy?",
            "rationale": "Three plus one.",
            "references": [],
            "options": [{"text": "3 + 1", "correct": True}, {"text": "6"}, {"text": "Unlimited"}],
        },
    ]
}


@pytest.fixture
def show_grant(show, provider):
    """The show's hosts allow the provider to make its episodes activities (credits/grants.py)."""
    return grants.grant_record_active(show=show, provider=provider, actor=None, note="test fixture")


@pytest.fixture
def episode(show, show_grant):
    return Episode.objects.create(
        show=show,
        title="Difficult airway",
        slug="difficult-airway",
        guid="guid-difficult-airway",
        audio="audio/airway-rounds/x.mp3",
        audio_mime="audio/mpeg",
        audio_size=1000,
        audio_duration=41 * 60,
        audio_bitrate=64000,
        status=Episode.Status.PUBLISHED,
        publish_at=timezone.now() - datetime.timedelta(days=1),
    )


@pytest.fixture
def activity(episode, provider, coordinator):
    today = timezone.localdate()
    activity = services.activity_create(
        provider=provider,
        episode=episode,
        actor=coordinator,
        data={
            "title": "",
            "objectives": "Recognise a failed airway\nPlan a CICO rescue",
            "target_audience": "Anaesthetists and emergency physicians",
            "designated_credits": Decimal("0.75"),
            "release_date": today - datetime.timedelta(days=30),
            "expiry_date": today + datetime.timedelta(days=365),
            "passing_score": 75,
            "max_attempts": 0,
        },
    )
    services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    return activity


def option_token(attempt, option_id) -> str:
    """What the post-test form sends for an option of this attempt (a random token, not the id)."""
    return next(o["token"] for q in attempt.questions for o in q["options"] if o["id"] == option_id)


def correct_answers(attempt) -> dict[str, str]:
    from credits.models import Option

    right = dict(
        Option.objects.filter(
            question_id__in=[q["id"] for q in attempt.questions], is_correct=True
        ).values_list("question_id", "pk")
    )
    return {str(q["id"]): option_token(attempt, right[q["id"]]) for q in attempt.questions}


def wrong_answers(attempt) -> dict[str, str]:
    answers = correct_answers(attempt)
    for q in attempt.questions:
        answers[str(q["id"])] = next(o["token"] for o in q["options"] if o["token"] != answers[str(q["id"])])
    return answers


@pytest.fixture
def passed(learner, activity):
    attempt = services.attempt_start(learner=learner, activity=activity)
    return services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))


@pytest.fixture
def evaluated(learner, activity, passed):
    return services.evaluation_submit(
        learner=learner,
        activity=activity,
        data={
            "objectives_met": 5,
            "relevant_to_practice": 4,
            "free_of_bias": 5,
            "intends_change": True,
            "change_description": "Use a supraglottic airway earlier",
            "comments": "",
        },
    )
