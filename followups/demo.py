"""The demo activity's follow-up (issue 18, "done when": the demo activity has follow-ups with demo
answers and an outcomes report). Called by podcastcme's seed_demo after the demo activity and its
claims exist.

Everything goes through the services, so every row is a real one with its audit row: the plan
(the three post-test questions asked again, and one question written for the follow-up), the
learners' consent, their claims (post-test, evaluation, claim, certificate), the follow-ups scheduled
from the claim, sent by the scheduler in its batches and answered. Only the follow-ups still open at
the seeding get an email (in the outbox, printed by the console backend in development); the history,
answered or closed, is sent without one (``follow_ups_send_due(email=False)``, audited).

The history lies in the past: the claims were made about CLAIMED_DAYS_AGO days before the seeding
(each made through the services, then moved back by credits.demo.backdate_demo_claim), the
follow-ups are scheduled from those claims, the real scheduler is run at each due time (claim + 7,
30, 60 and 90 days) and each learner answers the next day; the audit rows of each step are dated at
that step. Nothing is dated after the seeding. Some learners never answer a given follow-up (it
expired when its link closed, or the day-90 one is still open), so response rates are not 100%.
"""

import contextlib
import datetime
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

from accounts.models import Degree, LearnerProfile, User
from credits.demo import (
    backdate_demo_claim,
    demo_audit_last_id,
    demo_audit_redate,
    demo_claim,
    seed_demo_certificate,
)
from credits.models import Activity, CreditClaim, Question

from . import scheduler, services
from .models import Barrier, FollowUp, FollowUpConsent, FollowUpKind, FollowUpQuestion, FollowUpStatus

INTERVALS = [7, 30, 90]
PRACTICE_DAY = 60
# The demo's claims of the activity were made this many days before the demo was seeded, so that
# every follow-up's day (the last at 90 days) is in the past.
CLAIMED_DAYS_AGO = 100

ADDED_QUESTION_TEXT = (
    "Which probe and position identify the cricothyroid membrane most reliably with ultrasound?"
)
ADDED_QUESTION_OPTIONS = [  # the first is correct
    "A high-frequency linear probe, longitudinal in the midline (the 'string of pearls')",
    "A low-frequency curvilinear probe, transverse above the thyroid cartilage",
    "A phased-array probe over the sternal notch",
]
ADDED_QUESTION_RATIONALE = (
    "The linear probe in the midline shows the tracheal rings as a string of pearls; the membrane is "
    "the gap between the thyroid and cricoid cartilages."
)

# More learners who claimed the demo activity, so the report has enough answers to read (n >= 5 at
# each interval). (email, given name, family name, degree, intends to change)
COHORT = [
    ("followup.adeyemi@example.org", "Tunde", "Adeyemi", Degree.MD, True),
    ("followup.brennan@example.org", "Siobhan", "Brennan", Degree.DO, True),
    ("followup.castillo@example.org", "Marisol", "Castillo", Degree.MD, True),
    ("followup.dubois@example.org", "Etienne", "Dubois", Degree.MD, False),
    ("followup.eriksen@example.org", "Ingrid", "Eriksen", Degree.MD, True),
    ("followup.farouk@example.org", "Layla", "Farouk", Degree.DO, True),
    ("followup.gupta@example.org", "Rohan", "Gupta", Degree.MD, False),
]

INTENDED_CHANGE = "Scan and mark the cricothyroid membrane before every difficult airway."

# Who leaves a follow-up unanswered (by position in the cohort): it expires, or is still open at day 90.
SILENT = {7: {2}, 30: {2, 5}, PRACTICE_DAY: {4}, 90: {2, 5, 7}}
# Harder to remember as time passes: a learner misses a question when (learner + question + step) % k == 0.
FORGETTING = {7: 6, 30: 4, 90: 3}
PRACTICE_ANSWERS = [
    ("yes", [], ""),
    ("partly", [Barrier.TIME], ""),
    ("yes", [], ""),
    ("no", [Barrier.SYSTEM, Barrier.OTHER], "Our only ultrasound machine is shared with the ICU."),
    ("partly", [Barrier.COLLEAGUES], ""),
    ("na", [], ""),
    ("yes", [Barrier.TIME], ""),
]  # fmt: skip


def _cohort_learner(email: str, given: str, family: str, degree: str) -> User:
    """A demo learner who claimed the activity (no password: nobody logs in as them)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None)
    LearnerProfile.objects.get_or_create(
        user=user,
        defaults={
            "given_name": given,
            "family_name": family,
            "degree": degree,
            "specialty": "Anesthesiology",
            "country": "United States",
        },
    )
    return user


def _claim(learner: User, activity: Activity, *, intends_change: bool) -> CreditClaim:
    """Pass, evaluate and claim through credits' services (credits.demo.demo_claim; idempotent)."""
    evaluation = {
        "objectives_met": 5 if intends_change else 4,
        "relevant_to_practice": 5 if intends_change else 3,
        "free_of_bias": 5,
        "intends_change": intends_change,
        "change_description": INTENDED_CHANGE if intends_change else "",
        "comments": "",
    }
    return demo_claim(learner=learner, activity=activity, evaluation=evaluation)


def _plan(activity: Activity, coordinator: User | None, at: datetime.datetime) -> None:
    if not FollowUpQuestion.objects.filter(plan__activity=activity, source__isnull=False).exists():
        services.plan_save(
            activity=activity,
            actor=coordinator,
            enabled=True,
            intervals_days=INTERVALS,
            practice_change_days=PRACTICE_DAY,
            reused_question_ids=list(Question.objects.filter(activity=activity).values_list("pk", flat=True)),
            at=at,
        )
    if not FollowUpQuestion.objects.filter(plan__activity=activity, source__isnull=True).exists():
        services.question_add(
            activity=activity,
            actor=coordinator,
            text=ADDED_QUESTION_TEXT,
            options=ADDED_QUESTION_OPTIONS,
            correct=1,
            rationale=ADDED_QUESTION_RATIONALE,
        )


def _knowledge_answers(follow_up: FollowUp, learner_index: int, step: int, k: int) -> dict[int, int]:
    """Each question's correct option, or a wrong one when this learner forgot it."""
    plan_questions = {
        q.pk: q for q in FollowUpQuestion.objects.filter(pk__in=[q["id"] for q in follow_up.questions])
    }
    answers = {}
    for position, asked in enumerate(follow_up.questions):
        options = plan_questions[asked["id"]].options
        right = next(int(o["id"]) for o in options if o.get("correct"))
        wrong = next(int(o["id"]) for o in options if not o.get("correct"))
        answers[int(asked["id"])] = wrong if (learner_index + position + step) % k == 0 else right
    return answers


@contextlib.contextmanager
def _dated(at: datetime.datetime) -> Iterator[None]:
    """One step of the replayed past: the audit rows written inside are dated ``at``."""
    mark = demo_audit_last_id()
    yield
    demo_audit_redate(after_id=mark, at=at)


def _answer(follow_up: FollowUp, index: int, step: int, practice_index: int, at: datetime.datetime) -> None:
    if follow_up.kind == FollowUpKind.KNOWLEDGE:
        answers = _knowledge_answers(follow_up, index, step, FORGETTING[follow_up.interval_days])
        services.follow_up_answer_knowledge(follow_up=follow_up, answers=answers, at=at)
    else:
        changed, barriers, other = PRACTICE_ANSWERS[practice_index % len(PRACTICE_ANSWERS)]
        services.follow_up_answer_practice(
            follow_up=follow_up, changed=changed, barriers=barriers, barrier_other=other, at=at
        )


def seed_demo_follow_ups(
    *, activity: Activity | None, learners: list[User], now: datetime.datetime | None = None
) -> None:
    """The demo activity's follow-up plan, its learners' consents and claims (``learners`` and the
    demo cohort above) made about CLAIMED_DAYS_AGO days before ``now``, and their follow-ups at 7,
    30 and 90 days and the practice-change question at 60 days, sent and answered on their days, so
    the outcomes report shows real figures and nothing is dated after ``now``. Idempotent."""
    if activity is None:
        return
    now = now or timezone.now()
    first_claim_at = now - datetime.timedelta(days=CLAIMED_DAYS_AGO)
    membership = activity.provider.memberships.select_related("user").order_by("pk").first()
    plan_at = first_claim_at - datetime.timedelta(days=2)
    with _dated(plan_at):
        _plan(activity, membership.user if membership else None, plan_at)

    people: list[tuple[User, bool]] = [(learner, True) for learner in learners]
    people += [
        (_cohort_learner(email, given, family, degree), intends)
        for email, given, family, degree, intends in COHORT
    ]
    claims: list[CreditClaim] = []
    for index, (learner, intends) in enumerate(people):
        # Learners claimed over the first days after the plan was on, a few hours apart.
        claim_at = first_claim_at + datetime.timedelta(hours=5 * index)
        if learner in learners:
            seed_demo_certificate(learner=learner, activity=activity)  # the demo's own claims (idempotent)
            claim = CreditClaim.objects.get(learner=learner, activity=activity)
        else:
            claim = _claim(learner, activity, intends_change=intends)
        if FollowUp.objects.filter(claim=claim).exists():  # seeded before: nothing moves twice
            claims.append(claim)
            continue
        backdate_demo_claim(claim=claim, at=claim_at)
        claim.refresh_from_db()
        # The learner opted in with the claim (opting in schedules the claim's follow-ups).
        if not FollowUpConsent.objects.filter(learner=learner, opted_in=True).exists():
            with _dated(claim.claimed_at):
                services.consent_set(learner=learner, opted_in=True, where="demo", at=claim.claimed_at)
        with _dated(claim.claimed_at):
            services.follow_ups_schedule_for_claim(claim, at=claim.claimed_at)
        claims.append(claim)

    # Replay the past: the scheduler runs on each due day (sending that day's follow-ups), and the
    # learners answer the next day; some never answer. Nothing runs later than ``now``.
    index_of = {claim.pk: index for index, claim in enumerate(claims)}
    steps = {days: step for step, days in enumerate(sorted([*INTERVALS, PRACTICE_DAY]), start=1)}
    due_times = sorted(
        set(
            FollowUp.objects.filter(
                claim__in=claims, status=FollowUpStatus.SCHEDULED, due_at__lte=now
            ).values_list("due_at", flat=True)
        )
    )
    practice_index = 0
    for due_at in due_times:
        answer_at = due_at + datetime.timedelta(days=1)
        # History (answered, or closed by now) is sent without an email: nobody should receive today a
        # follow-up answered weeks ago. Still open at ``now``: its email goes (a link a demo user can open).
        due = FollowUp.objects.filter(claim__in=claims, due_at=due_at, status=FollowUpStatus.SCHEDULED)
        closed = due_at + datetime.timedelta(days=settings.FOLLOW_UP_ANSWER_DAYS) < now
        history = all(
            closed or (answer_at <= now and index_of[claim_id] not in SILENT.get(day, set()))
            for claim_id, day in due.values_list("claim_id", "interval_days")
        )
        with _dated(due_at):
            scheduler.follow_ups_send_due(now=due_at, email=not history, claim_ids=[c.pk for c in claims])
        if answer_at > now:
            continue
        sent = FollowUp.objects.filter(claim__in=claims, due_at=due_at, status=FollowUpStatus.SENT)
        sent = sent.order_by("pk")
        for follow_up in sent:
            index = index_of[follow_up.claim_id]
            if index in SILENT.get(follow_up.interval_days, set()):
                continue
            if follow_up.kind == FollowUpKind.PRACTICE:
                practice_index += 1
            with _dated(answer_at):
                _answer(follow_up, index, steps[follow_up.interval_days], practice_index - 1, answer_at)
    # Links left unanswered past their answer window have expired by now.
    scheduler.follow_ups_expire(now=now)
