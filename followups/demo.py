"""The demo activity's follow-up (issue 18, "done when": the demo activity has follow-ups with demo
answers and an outcomes report). Called by podcastcme's seed_demo after the demo activity and its
claims exist.

Everything goes through the services, so every row is a real one with its audit row: the plan
(the three post-test questions asked again, and one question written for the follow-up), the
learners' consent, their claims (post-test, evaluation, claim, certificate), the follow-ups scheduled
from the claim, sent by the scheduler in its batches (with their emails in the outbox) and answered.

A demo cannot wait 90 days, so it runs the schedule forward: the scheduler is run at each due date
(claim + 7, 30, 60 and 90 days) and each learner answers the next day. The follow-ups' sent and
answered times therefore lie ahead of the day the demo was seeded; the report does not show them,
My learning does. Some learners never answer a given follow-up (it expires when its link closes, or
is still open at day 90), so response rates are not 100%.
"""

import datetime

from django.utils import timezone

from accounts.models import Degree, LearnerProfile, User
from credits import services as credit_services
from credits.demo import seed_demo_certificate
from credits.models import Activity, Attempt, CreditClaim, Evaluation, Option, Question

from . import scheduler, services
from .models import Barrier, FollowUp, FollowUpConsent, FollowUpKind, FollowUpQuestion, FollowUpStatus

INTERVALS = [7, 30, 90]
PRACTICE_DAY = 60

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
    """Pass, evaluate and claim through credits' services (idempotent)."""
    claim = CreditClaim.objects.filter(learner=learner, activity=activity).first()
    if claim is not None:
        return claim
    if not Attempt.objects.filter(learner=learner, activity=activity, passed=True).exists():
        attempt = credit_services.attempt_start(learner=learner, activity=activity)
        right = dict(
            Option.objects.filter(question__activity=activity, is_correct=True).values_list(
                "question_id", "pk"
            )
        )
        answers = {
            str(q["id"]): next(o["token"] for o in q["options"] if o["id"] == right[q["id"]])
            for q in attempt.questions
        }
        credit_services.attempt_submit(attempt_id=attempt.pk, learner=learner, answers=answers)
    if not Evaluation.objects.filter(learner=learner, activity=activity).exists():
        credit_services.evaluation_submit(
            learner=learner,
            activity=activity,
            data={
                "objectives_met": 5 if intends_change else 4,
                "relevant_to_practice": 5 if intends_change else 3,
                "free_of_bias": 5,
                "intends_change": intends_change,
                "change_description": "Scan and mark the cricothyroid membrane before every difficult airway."
                if intends_change
                else "",
                "comments": "",
            },
        )
    return credit_services.claim_credit(
        learner=learner,
        activity=activity,
        minutes=15,
        attested=True,
        listening_evidence={"demo": "seed_demo"},
    )


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


def seed_demo_follow_ups(
    *, activity: Activity | None, learners: list[User], now: datetime.datetime | None = None
) -> None:
    """The demo activity's follow-up plan, its learners' consents and claims (``learners`` and the
    demo cohort above), and their follow-ups at 7, 30 and 90 days and the practice-change question at
    60 days, answered, so the outcomes report shows real figures. Idempotent."""
    if activity is None:
        return
    now = now or timezone.now()
    membership = activity.provider.memberships.select_related("user").order_by("pk").first()
    _plan(activity, membership.user if membership else None, now)

    people: list[tuple[User, bool]] = [(learner, True) for learner in learners]
    people += [
        (_cohort_learner(email, given, family, degree), intends)
        for email, given, family, degree, intends in COHORT
    ]
    claims: list[CreditClaim] = []
    for learner, intends in people:
        if not FollowUpConsent.objects.filter(learner=learner, opted_in=True).exists():
            services.consent_set(learner=learner, opted_in=True, where="demo", at=now)
        if learner in learners:
            seed_demo_certificate(learner=learner, activity=activity)  # the demo's own claims (idempotent)
            claim = CreditClaim.objects.get(learner=learner, activity=activity)
        else:
            claim = _claim(learner, activity, intends_change=intends)
        services.follow_ups_schedule_for_claim(claim, at=claim.claimed_at)
        claims.append(claim)

    # Run the schedule forward: at each due date the scheduler sends, and the next day learners answer.
    start = max(claim.claimed_at for claim in claims)
    for step, days in enumerate(sorted([*INTERVALS, PRACTICE_DAY]), start=1):
        sent_at = start + datetime.timedelta(days=days)
        scheduler.follow_ups_send_due(now=sent_at)
        answer_at = sent_at + datetime.timedelta(days=1)
        kind = FollowUpKind.PRACTICE if days == PRACTICE_DAY else FollowUpKind.KNOWLEDGE
        open_ones = {
            f.claim_id: f
            for f in FollowUp.objects.filter(
                claim__in=claims, kind=kind, interval_days=days, status=FollowUpStatus.SENT
            )
        }
        practice_index = 0
        for index, claim in enumerate(claims):
            follow_up = open_ones.get(claim.pk)
            if follow_up is None:
                continue
            if index in SILENT.get(days, set()):
                continue
            if kind == FollowUpKind.KNOWLEDGE:
                services.follow_up_answer_knowledge(
                    follow_up=follow_up,
                    answers=_knowledge_answers(follow_up, index, step, FORGETTING[days]),
                    at=answer_at,
                )
            else:
                changed, barriers, other = PRACTICE_ANSWERS[practice_index % len(PRACTICE_ANSWERS)]
                practice_index += 1
                services.follow_up_answer_practice(
                    follow_up=follow_up, changed=changed, barriers=barriers, barrier_other=other, at=answer_at
                )
