"""Factories for tests and the bench: users, shows, episodes, activities with a post-test, claims.

Plain functions over the real models and services (no factory library): the test fixtures in
``tests/conftest.py`` call them with the tests' names, the bench calls them with its own. The bulk
builders (``make_learners``, ``add_prior_claims``, ``add_claims``) write the rows the services
write, in a few queries, for measurements that need hundreds of learners or claims.
"""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.utils import timezone

from accounts.models import Degree, LearnerProfile, User
from credits import grants, services
from credits.models import (
    Activity,
    Attempt,
    Certificate,
    CompletionRecord,
    CreditClaim,
    CreditType,
    Evaluation,
    Option,
    Provider,
    ProviderCoordinator,
)
from episodes import services as episode_services
from episodes.models import Episode, Show
from testkit.media import make_audio

PASSWORD = "correct-horse-battery-9"

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

EVALUATION = {
    "objectives_met": 5,
    "relevant_to_practice": 4,
    "free_of_bias": 5,
    "intends_change": True,
    "change_description": "Use a supraglottic airway earlier",
    "comments": "",
}


# --- People ---------------------------------------------------------------------------------------


def make_user(
    email: str = "learner@example.org", *, verified: bool = True, profile: bool = False, **extra
) -> User:
    """A user who signs in with ``PASSWORD``; ``profile=True`` adds a complete learner profile (MD)."""
    user = User.objects.create_user(email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if profile:
        LearnerProfile.objects.create(user=user, given_name="Ada", family_name="Lovelace", degree=Degree.MD)
    return user


def make_learners(prefix: str, count: int) -> list[User]:
    """``count`` learners with a complete profile (MD) and a verified address, in a few bulk queries."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}-{n}@example.org", password=make_password(None)) for n in range(count)
    )
    if users and users[0].pk is None:  # a backend without RETURNING: read the rows back
        users = list(User.objects.filter(email__startswith=f"{prefix}-").order_by("pk"))
    LearnerProfile.objects.bulk_create(
        LearnerProfile(user=u, given_name="Bench", family_name=f"Learner {n}", degree=Degree.MD)
        for n, u in enumerate(users)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    return users


def make_provider(name: str = "Society of Testing", slug: str = "sot", **fields) -> Provider:
    return Provider.objects.create(name=name, slug=slug, **fields)


def make_coordinator(provider: Provider, email: str = "coordinator@example.org") -> User:
    user = make_user(email)
    ProviderCoordinator.objects.create(provider=provider, user=user)
    return user


# --- Shows and episodes ---------------------------------------------------------------------------


def make_show(**fields) -> Show:
    """A show (Airway Rounds unless ``fields`` say otherwise), written directly: no host, no artwork."""
    data = {
        "title": "Airway Rounds",
        "slug": "airway-rounds",
        "description": "Short cases in airway management for anaesthetists.",
        "author": "Society of Testing",
        "owner_name": "Society of Testing",
        "owner_email": "podcast@example.org",
        **fields,
    }
    return Show.objects.create(**data)


def make_episode(show: Show, **fields) -> Episode:
    """A published episode (since yesterday) whose audio is only a stored name: for pages and credits."""
    slug = fields.get("slug", "difficult-airway")
    data = {
        "show": show,
        "title": "Difficult airway",
        "slug": slug,
        "guid": f"guid-{slug}",
        "audio": f"audio/{show.slug}/x.mp3",
        "audio_mime": "audio/mpeg",
        "audio_size": 1000,
        "audio_duration": 41 * 60,
        "audio_bitrate": 64000,
        "status": Episode.Status.PUBLISHED,
        "publish_at": timezone.now() - datetime.timedelta(days=1),
        **fields,
    }
    return Episode.objects.create(**data)


def make_audio_episode(
    show: Show, *, title: str = "Seventy seconds", seconds: float = 70.0, **fields
) -> Episode:
    """A published episode (since an hour ago) with real ffmpeg audio, stored through the service."""
    fields.setdefault("status", "published")
    fields.setdefault("publish_at", timezone.now() - datetime.timedelta(hours=1))
    with open(make_audio(seconds, "mp3"), "rb") as handle:
        return episode_services.episode_create(
            show=show, actor=None, title=title, audio=File(handle, name="seventy.mp3"), **fields
        )


# --- CME activities -------------------------------------------------------------------------------


def grant_show(show: Show, provider: Provider, note: str = "test fixture"):
    """The show's hosts allow the provider to make its episodes activities (credits/grants.py)."""
    return grants.grant_record_active(show=show, provider=provider, actor=None, note=note)


def make_activity(*, provider: Provider, episode: Episode, coordinator: User, quiz=QUIZ, **data) -> Activity:
    """A CME activity of 0.75 credits on ``episode`` with ``quiz`` as its post-test, through the services."""
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
            **data,
        },
    )
    services.quiz_replace(activity=activity, actor=coordinator, data=quiz)
    return activity


def option_token(attempt: Attempt, option_id) -> str:
    """What the post-test form sends for an option of this attempt (a random token, not the id)."""
    return next(o["token"] for q in attempt.questions for o in q["options"] if o["id"] == option_id)


def correct_answers(attempt: Attempt) -> dict[str, str]:
    """The form's answers that pass: each question's correct option, as this attempt's token."""
    right = dict(
        Option.objects.filter(
            question_id__in=[q["id"] for q in attempt.questions], is_correct=True
        ).values_list("question_id", "pk")
    )
    return {str(q["id"]): option_token(attempt, right[q["id"]]) for q in attempt.questions}


def wrong_answers(attempt: Attempt) -> dict[str, str]:
    """The form's answers that fail every question."""
    answers = correct_answers(attempt)
    for q in attempt.questions:
        answers[str(q["id"])] = next(o["token"] for o in q["options"] if o["token"] != answers[str(q["id"])])
    return answers


def pass_post_test(learner: User, activity: Activity) -> Attempt:
    """Take the post-test with the right answers, through the services."""
    attempt = services.attempt_start(learner=learner, activity=activity)
    return services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=correct_answers(attempt))


def evaluate(learner: User, activity: Activity, **data) -> Evaluation:
    return services.evaluation_submit(learner=learner, activity=activity, data={**EVALUATION, **data})


def pass_and_evaluate(learner: User, activity: Activity) -> None:
    """Pass the post-test and submit the evaluation: what a learner does before claiming."""
    pass_post_test(learner, activity)
    evaluate(learner, activity)


def claim_and_issue(learner: User, activity: Activity, capture, minutes: int = 30) -> Certificate:
    """Claim through the service with on-commit callbacks run (``django_capture_on_commit_callbacks``)."""
    with capture(execute=True):
        claim = services.claim_credit(learner=learner, activity=activity, minutes=minutes, attested=True)
    return Certificate.objects.get(claim=claim)


# --- Many claims at once --------------------------------------------------------------------------


def add_prior_claims(activity: Activity, count: int, *, prefix: str = "prior") -> None:
    """``count`` other learners who passed, evaluated and claimed ``activity``, with completion records.

    Bulk inserts rather than the services (which would take minutes for a thousand learners); the
    rows are the ones the services write: a passed attempt, an evaluation, a claim pointing at both,
    and the completion record.
    """
    users = make_learners(prefix, count)
    questions = list(activity.questions.prefetch_related("options"))
    shown = [
        {"id": q.pk, "text": q.text, "options": [{"id": o.pk, "text": o.text} for o in q.options.all()]}
        for q in questions
    ]
    right = dict(
        Option.objects.filter(question__activity=activity, is_correct=True).values_list("question_id", "pk")
    )
    answers = {str(q.pk): right[q.pk] for q in questions}
    results = {
        str(q.pk): {"chosen": right[q.pk], "correct_option": right[q.pk], "correct": True} for q in questions
    }
    now = timezone.now()
    attempts = Attempt.objects.bulk_create(
        Attempt(
            learner=u,
            activity=activity,
            number=1,
            started_at=now - datetime.timedelta(minutes=5),
            submitted_at=now,
            questions=shown,
            answers=answers,
            results=results,
            score=100,
            passed=True,
        )
        for u in users
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(learner=u, activity=activity, submitted_at=now, **EVALUATION) for u in users
    )
    if users and (attempts[0].pk is None or evaluations[0].pk is None):
        attempts = list(Attempt.objects.filter(learner__in=users, activity=activity).order_by("learner_id"))
        evaluations = list(
            Evaluation.objects.filter(learner__in=users, activity=activity).order_by("learner_id")
        )
    credits = activity.designated_credits
    claims = CreditClaim.objects.bulk_create(
        CreditClaim(
            learner=u,
            activity=activity,
            attempt=a,
            evaluation=e,
            minutes_reported=int(credits * 60),
            credits=credits,
            credit_type=CreditType.AMA_PRA_1,
            degree="MD",
            attested=True,
            claimed_at=now,
        )
        for u, a, e in zip(users, attempts, evaluations, strict=True)
    )
    if users and claims[0].pk is None:
        claims = list(CreditClaim.objects.filter(learner__in=users, activity=activity).order_by("learner_id"))
    CompletionRecord.objects.bulk_create(
        CompletionRecord(
            claim=c,
            learner_id=c.learner_id,
            activity=activity,
            completed_at=now,
            credits=credits,
            credit_type=c.credit_type,
            attempt_number=1,
            score=100,
            evaluation_id=c.evaluation_id,
        )
        for c in claims
    )


def add_claims(
    learner, *, show, provider, count: int, completed_at=None, credits="0.75", prefix="t", topics=()
):
    """``count`` activities claimed by ``learner`` (the rows the claim service writes), in bulk."""
    now = completed_at or timezone.now()
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show,
            title=f"{prefix} episode {n}",
            slug=f"{prefix}-episode-{n}",
            guid=f"{prefix}-guid-{n}",
            audio=f"audio/x/{prefix}-{n}.mp3",
            audio_mime="audio/mpeg",
            audio_size=1000,
            audio_duration=45 * 60,
            audio_bitrate=64000,
            status=Episode.Status.PUBLISHED,
            publish_at=timezone.now() - datetime.timedelta(days=400),
        )
        for n in range(count)
    )
    if episodes and episodes[0].pk is None:
        episodes = list(Episode.objects.filter(guid__startswith=f"{prefix}-guid-").order_by("pk"))
    activities = Activity.objects.bulk_create(
        Activity(
            episode=e,
            provider=provider,
            title=f"{prefix} activity {n}",
            objectives="Learn",
            target_audience="Physicians",
            designated_credits=Decimal(credits),
            release_date=now.date() - datetime.timedelta(days=30),
            expiry_date=now.date() + datetime.timedelta(days=300),
        )
        for n, e in enumerate(episodes)
    )
    if activities and activities[0].pk is None:
        activities = list(Activity.objects.filter(episode__in=episodes).order_by("pk"))
    for activity in activities:
        if topics:
            activity.mandate_topics.add(*topics)
    attempts = Attempt.objects.bulk_create(
        Attempt(
            learner=learner, activity=a, number=1, started_at=now, submitted_at=now, score=100, passed=True
        )
        for a in activities
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            learner=learner,
            activity=a,
            objectives_met=5,
            relevant_to_practice=5,
            free_of_bias=5,
            intends_change=False,
            submitted_at=now,
        )
        for a in activities
    )
    if activities and (attempts[0].pk is None or evaluations[0].pk is None):
        attempts = list(
            Attempt.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
        evaluations = list(
            Evaluation.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
    claims = CreditClaim.objects.bulk_create(
        CreditClaim(
            learner=learner,
            activity=a,
            attempt=t,
            evaluation=e,
            minutes_reported=45,
            credits=Decimal(credits),
            credit_type=CreditType.AMA_PRA_1,
            degree="MD",
            attested=True,
            claimed_at=now,
        )
        for a, t, e in zip(activities, attempts, evaluations, strict=True)
    )
    if claims and claims[0].pk is None:
        claims = list(
            CreditClaim.objects.filter(learner=learner, activity__in=activities).order_by("activity_id")
        )
    CompletionRecord.objects.bulk_create(
        CompletionRecord(
            claim=c,
            learner=learner,
            activity_id=c.activity_id,
            completed_at=now,
            credits=c.credits,
            credit_type=c.credit_type,
            attempt_number=1,
            score=100,
            evaluation_id=c.evaluation_id,
        )
        for c in claims
    )
    return claims
