"""Data for the claims bench (and its query-count test): an activity, learners, and many prior claims.

Run as ``python -m bench._claims_seed seed OUT.json LEARNERS`` or ``... verify ACTIVITY_ID`` with
DJANGO_SETTINGS_MODULE and DATABASE_URL naming the bench database; ``add_prior_claims`` is also
imported by tests/credits/test_query_counts.py so both measure claims made the same way.
"""

import datetime
import json
import os
import sys
from decimal import Decimal
from typing import Any

QUIZ = {
    "questions": [
        {
            "text": "First-line device after failed intubation?",
            "rationale": "A second-generation supraglottic airway restores oxygenation.",
            "references": ["10.1093/bja/aev371"],
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


def make_learners(prefix: str, count: int) -> list:
    """``count`` learners with a complete profile (MD) and a verified address, in a few bulk queries."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password

    from accounts.models import Degree, LearnerProfile, User

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


def add_prior_claims(activity, count: int, *, prefix: str = "prior") -> None:
    """``count`` other learners who passed, evaluated and claimed ``activity``, with completion records.

    Bulk inserts rather than the services (which would take minutes for a thousand learners); the
    rows are the ones the services write: a passed attempt, an evaluation, a claim pointing at both,
    and the completion record.
    """
    from django.utils import timezone

    from credits.models import Attempt, CompletionRecord, CreditClaim, CreditType, Evaluation, Option

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


def make_activity():
    """A provider, show, published episode and CME activity with a three-question post-test."""
    from django.utils import timezone

    from accounts.models import User
    from credits import services
    from credits.grants import grant_record_active
    from credits.models import Provider, ProviderCoordinator
    from episodes.models import Episode, Show

    provider = Provider.objects.create(name="Bench Society", slug="bench-society")
    coordinator = User.objects.create_user(email="bench-coordinator@example.org")
    ProviderCoordinator.objects.create(provider=provider, user=coordinator)
    show = Show.objects.create(
        title="Bench Rounds",
        slug="bench-rounds",
        description="Short cases for the claims bench.",
        author="Bench Society",
        owner_name="Bench Society",
        owner_email="bench@example.org",
    )
    episode = Episode.objects.create(
        show=show,
        title="Difficult airway",
        slug="difficult-airway",
        guid="bench-difficult-airway",
        audio="audio/bench-rounds/x.mp3",
        audio_mime="audio/mpeg",
        audio_size=1000,
        audio_duration=41 * 60,
        audio_bitrate=64000,
        status=Episode.Status.PUBLISHED,
        publish_at=timezone.now() - datetime.timedelta(days=1),
    )
    today = timezone.localdate()
    grant_record_active(show=show, provider=provider, actor=None, note="bench set-up")
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
        },
    )
    services.quiz_replace(activity=activity, actor=coordinator, data=QUIZ)
    return activity


def pass_and_evaluate(learner, activity) -> None:
    """Take the post-test with the right answers and submit the evaluation, through the services."""
    from credits import services
    from credits.models import Option

    attempt = services.attempt_start(learner=learner, activity=activity)
    right = set(
        Option.objects.filter(question__activity=activity, is_correct=True).values_list("pk", flat=True)
    )
    services.attempt_submit(
        attempt_id=attempt.pk,
        learner=learner,
        # The form sends each option's token for this attempt, never its id.
        answers={
            str(q["id"]): next(o["token"] for o in q["options"] if o["id"] in right)
            for q in attempt.questions
        },
    )
    services.evaluation_submit(learner=learner, activity=activity, data=EVALUATION)


def count_queries(activity, label: str) -> dict[str, int]:
    """SQL queries of a learner's post-test page (GET) and of a claim (POST), with the test client.

    Two fresh learners in the same state each time: one who has not started, one who passed and
    evaluated; so any difference between calls comes from the other learners' rows.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    newcomer, claimer = make_learners(f"probe-{label}", 2)
    pass_and_evaluate(claimer, activity)
    counts = {}
    client = Client()
    client.force_login(newcomer)
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("credits:post_test", args=[activity.pk]))
    if response.status_code != 200:
        raise RuntimeError(f"the post-test page answered {response.status_code}")
    counts["post_test"] = len(page.captured_queries)
    client = Client()
    client.force_login(claimer)
    with CaptureQueriesContext(connection) as claim:
        response = client.post(
            reverse("credits:claim", args=[activity.pk]), {"minutes": "45", "attest": "on"}
        )
    if response.status_code != 200 or b"Credit claimed" not in response.content:
        raise RuntimeError(f"the claim answered {response.status_code} without 'Credit claimed'")
    counts["claim"] = len(claim.captured_queries)
    return counts


def _session_key(user) -> str:
    """A logged-in session for ``user``, stored the way django.contrib.auth.login() stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def seed(out: str, learners: int) -> None:
    """Build the bench data, measure the query counts at 1 and 1,000 prior claims, write ``out``."""
    from django.urls import reverse

    from credits.models import CreditClaim, Option

    activity = make_activity()
    add_prior_claims(activity, 1, prefix="prior-a")
    at_one = CreditClaim.objects.filter(activity=activity).count()
    few = count_queries(activity, "few")
    add_prior_claims(activity, 1000 - CreditClaim.objects.filter(activity=activity).count(), prefix="prior-b")
    at_thousand = CreditClaim.objects.filter(activity=activity).count()
    many = count_queries(activity, "many")
    users = make_learners("bench", learners)
    # The right option's text per question: the page's values are per-attempt tokens, found by label.
    correct = {
        str(q): text
        for q, text in Option.objects.filter(question__activity=activity, is_correct=True).values_list(
            "question_id", "text"
        )
    }
    data: dict[str, Any] = {
        "activity": activity.pk,
        "urls": {
            "post_test": reverse("credits:post_test", args=[activity.pk]),
            "evaluation": reverse("credits:evaluation", args=[activity.pk]),
            "claim": reverse("credits:claim", args=[activity.pk]),
        },
        "correct": correct,
        "sessions": [_session_key(u) for u in users],
        "queries": {"prior_few": at_one, "prior_many": at_thousand, "few": few, "many": many},
    }
    with open(out, "w") as handle:
        json.dump(data, handle)


def verify(activity_id: int) -> None:
    """Print what the bench learners left in the database: claims, completions, claim audit rows."""
    from audit.models import AuditEvent
    from credits.models import CompletionRecord, CreditClaim

    bench = {"learner__email__startswith": "bench-"}
    print(
        json.dumps(
            {
                "claims": CreditClaim.objects.filter(activity_id=activity_id, **bench).count(),
                "completions": CompletionRecord.objects.filter(activity_id=activity_id, **bench).count(),
                "audit": AuditEvent.objects.filter(
                    action="claim.created",
                    actor__email__startswith="bench-",
                ).count(),
            }
        )
    )


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podcastcme.settings.test")
    import django

    django.setup()
    if argv[:1] == ["seed"]:
        seed(argv[1], int(argv[2]))
    elif argv[:1] == ["verify"]:
        verify(int(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
