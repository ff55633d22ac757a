"""Writes for CME activities and the learner's path: attempt -> evaluation -> claim. Each audited."""

import datetime
import logging
import random
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, FilteredRelation, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.models import LearnerProfile, User, profile_is_complete_for_credit
from audit.services import audit_record, audit_record_many
from episodes.intervals import merge_intervals
from episodes.models import Episode

from . import credit_types, disclosure_services, grants, moc, versions
from . import events as credit_events
from .audit_actions import CreditAction
from .certificates import AuditEntry, certificate_issue, render_runs_at_commit
from .designation import credits_for_minutes
from .errors import CreditError
from .models import (
    Activity,
    ActivityVersion,
    Attempt,
    ClaimedCredit,
    CompletionRecord,
    CreditClaim,
    CreditType,
    Evaluation,
    ListeningProgress,
    MandateTopic,
    Option,
    Provider,
    Question,
    RevealAnswers,
)

logger = logging.getLogger(__name__)

MAX_REPORTED_MINUTES = 24 * 60
# Random bytes in each post-test option's token (the value its radio button sends).
OPTION_TOKEN_BYTES = 12


# --- Activities (coordinators) -------------------------------------------------------------------


ACTIVITY_FIELDS = (
    "title", "objectives", "target_audience", "designated_credits", "designation_reason", "release_date",
    "last_review_date", "expiry_date", "providership", "joint_provider_name", "medium", "references",
    "requirements", "passing_score", "max_attempts", "reveal_answers",
)  # fmt: skip


@transaction.atomic
def activity_create(
    *,
    provider: Provider,
    episode: Episode,
    actor: User | None,
    data: Mapping[str, Any],
    mandate_topics: list[MandateTopic] | None = None,
) -> Activity:
    # Only a provider the show's hosts allow (credits/grants.py); checked here, whatever the caller.
    grants.require_grant_for_new_activity(show=episode.show, provider=provider)
    if Activity.objects.filter(episode=episode).exists():
        raise ValidationError({"episode": _("This episode is already a CME activity.")})
    values = {f: data[f] for f in ACTIVITY_FIELDS if f in data}
    if not (values.get("title") or "").strip():
        values["title"] = episode.title  # the activity's title defaults to the episode's
    activity = Activity(provider=provider, episode=episode, status=Activity.Status.DRAFT, **values)
    activity.full_clean()
    try:
        with transaction.atomic():
            activity.save()
    except IntegrityError:
        raise ValidationError({"episode": _("This episode is already a CME activity.")}) from None
    if mandate_topics is not None:
        activity.mandate_topics.set(mandate_topics)
    versions.feed_changed(activity)
    audit_record(
        actor=actor, action=CreditAction.ACTIVITY_CREATED, obj=activity, data={"episode": episode.pk}
    )
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    actor: User | None,
    data: Mapping[str, Any],
    mandate_topics: list[MandateTopic] | None = None,
) -> Activity:
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    grants.require_changeable(activity)  # a show that revoked the provider keeps its activity unchanged
    changed: dict[str, list[Any]] = {}
    for field in ACTIVITY_FIELDS:
        if field in data and getattr(activity, field) != data[field]:
            changed[field] = [_audit_value(getattr(activity, field)), _audit_value(data[field])]
            setattr(activity, field, data[field])
    if not activity.title.strip():
        activity.title = activity.episode.title
    activity.full_clean()
    activity.save()
    if mandate_topics is not None:
        before = sorted(activity.mandate_topics.values_list("name", flat=True))
        activity.mandate_topics.set(mandate_topics)
        after = sorted(t.name for t in mandate_topics)
        if before != after:
            changed["mandate_topics"] = [before, after]
    versions.feed_changed(activity)
    audit_record(actor=actor, action=CreditAction.ACTIVITY_UPDATED, obj=activity, data={"changed": changed})
    # A published activity freezes what learners now see (a new version once one has started).
    versions.activity_changed(activity=activity, actor=actor, what=", ".join(changed) or "no change")
    return activity


def _audit_value(value: Any) -> Any:
    """A field's value as the audit row keeps it (JSON: dates and decimals as text)."""
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def activity_set_people(
    *, activity: Activity, actor: User | None, people: Sequence[Mapping[str, Any]]
) -> None:
    """Make ``people`` the activity's people in control of content, each with a form the coordinator
    records as collected today (tests, the bench, scripts). Coordinators' pages collect forms through
    the emailed link instead: credits/disclosure_services.py, which holds the rules."""
    disclosure_services.activity_set_people(activity=activity, actor=actor, people=people)


# --- Quiz (coordinators) --------------------------------------------------------------------------


def _quiz_error(message: str) -> CreditError:
    return CreditError(_("The quiz file is not valid: %(reason)s") % {"reason": message}, code="bad_quiz")


def quiz_validate(data: Any) -> list[dict[str, Any]]:
    """Check a quiz in our JSON format and return its questions; raise CreditError with the reason."""
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise _quiz_error(_('expected an object with a "questions" list'))
    questions = data["questions"]
    if not questions:
        raise _quiz_error(_("it has no questions"))
    if len(questions) > 50:
        raise _quiz_error(_("more than 50 questions"))
    clean = []
    for n, question in enumerate(questions, start=1):
        if not isinstance(question, dict) or not str(question.get("text") or "").strip():
            raise _quiz_error(_("question %(n)d has no text") % {"n": n})
        options = question.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 8:
            raise _quiz_error(_("question %(n)d needs 2 to 8 options") % {"n": n})
        opts = []
        for option in options:
            if not isinstance(option, dict) or not str(option.get("text") or "").strip():
                raise _quiz_error(_("question %(n)d has an option without text") % {"n": n})
            opts.append({"text": str(option["text"]).strip()[:500], "correct": option.get("correct") is True})
        if sum(1 for o in opts if o["correct"]) != 1:
            raise _quiz_error(_("question %(n)d must have exactly one correct option") % {"n": n})
        references = question.get("references") or []
        if isinstance(references, str):
            references = [references]
        if not isinstance(references, list):
            raise _quiz_error(_("question %(n)d: references must be a list") % {"n": n})
        clean.append(
            {
                "text": str(question["text"]).strip(),
                "rationale": str(question.get("rationale") or "").strip(),
                "references": [str(r).strip() for r in references if str(r).strip()],
                "options": opts,
            }
        )
    return clean


@transaction.atomic
def quiz_replace(*, activity: Activity, actor: User | None, data: Any) -> list[Question]:
    """Replace the activity's post-test. Past attempts keep what they showed (snapshots)."""
    try:
        grants.require_changeable(activity)  # frozen once the show's hosts ended the provider's access
    except ValidationError as error:
        raise CreditError(" ".join(error.messages), code="not_granted") from None
    questions = quiz_validate(data)
    Question.objects.filter(activity=activity).delete()
    created = []
    for position, question in enumerate(questions):
        row = Question.objects.create(
            activity=activity,
            position=position,
            text=question["text"],
            rationale=question["rationale"],
            references="\n".join(question["references"]),
        )
        Option.objects.bulk_create(
            Option(question=row, position=i, text=o["text"], is_correct=o["correct"])
            for i, o in enumerate(question["options"])
        )
        created.append(row)
    audit_record(
        actor=actor, action=CreditAction.QUIZ_REPLACED, obj=activity, data={"questions": len(created)}
    )
    try:  # the question count changes the time a learner needs (designation check)
        versions.activity_changed(activity=activity, actor=actor, what="post-test")
    except ValidationError as error:
        raise CreditError(" ".join(error.messages), code="not_publishable") from None
    return created


def quiz_export(activity: Activity) -> dict[str, Any]:
    """The activity's post-test in the JSON format quiz_replace() reads (for coordinators only)."""
    return {
        "version": 1,
        "activity": activity.title,
        "questions": [
            {
                "text": q.text,
                "rationale": q.rationale,
                "references": q.references_list,
                "options": [{"text": o.text, "correct": o.is_correct} for o in q.options.all()],
            }
            for q in activity.questions.prefetch_related("options")
        ],
    }


# --- The learner's path ---------------------------------------------------------------------------


def _passed_attempt(learner: User, activity: Activity) -> Attempt | None:
    return (
        Attempt.objects.filter(learner=learner, activity=activity, passed=True)
        .select_related("version")
        .order_by("-submitted_at")
        .first()
    )


@transaction.atomic
def attempt_start(*, learner: User, activity: Activity, rng: random.Random | None = None) -> Attempt:
    """Return the learner's open attempt, or start a new one with the options shuffled for it."""
    lock_learner(learner.pk)  # one open attempt at a time
    # The activity's row after the learner's (docs/architecture-locks.md): a coordinator's edit
    # that replaces an unstarted version in place cannot interleave with this start.
    activity = (
        Activity.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=activity.pk)
    )
    # One read for the learner's attempts so far: how many, an open one, a passed one.
    mine = Attempt.objects.filter(learner=learner, activity=activity).aggregate(
        used=Count("pk"),
        open_id=Max("pk", filter=Q(submitted_at__isnull=True)),
        passed=Count("pk", filter=Q(passed=True)),
    )
    open_attempt = Attempt.objects.get(pk=mine["open_id"]) if mine["open_id"] is not None else None
    if open_attempt is not None:
        if _attempt_needs_tokens(open_attempt):  # opened before options had tokens
            open_attempt.questions = _with_option_tokens(open_attempt.questions)
            open_attempt.save(update_fields=["questions"])
        return open_attempt
    if activity.status == Activity.Status.WITHDRAWN:
        raise CreditError(_("This activity was withdrawn: it takes no new learners."), code="withdrawn")
    version = activity.current_version
    if activity.status != Activity.Status.PUBLISHED or version is None:
        raise CreditError(_("This activity is not published yet."), code="not_published")
    if activity.is_expired():
        raise CreditError(_("This activity has expired: credit can no longer be earned."), code="expired")
    if not activity.is_released():
        raise CreditError(_("This activity is not released yet."), code="not_released")
    if mine["passed"]:
        raise CreditError(_("You have already passed this post-test."), code="already_passed")
    used = mine["used"]
    if version.max_attempts and used >= version.max_attempts:
        raise CreditError(
            _("You have used all %(n)d attempts allowed for this post-test.") % {"n": version.max_attempts},
            code="attempts_exhausted",
        )
    rng = rng or random.SystemRandom()
    by_question: dict[int, dict[str, Any]] = {}  # in the questions' order, each with its options
    for option in (
        Option.objects.filter(question__activity=activity)
        .select_related("question")
        .order_by("question__position", "question__id", "position", "id")
    ):
        question = option.question
        entry = by_question.setdefault(question.pk, {"id": question.pk, "text": question.text, "options": []})
        entry["options"].append({"id": option.pk, "text": option.text})
    shown = list(by_question.values())
    for entry in shown:
        rng.shuffle(entry["options"])
    if not shown:
        raise CreditError(_("This activity has no post-test yet."), code="no_quiz")
    attempt = Attempt.objects.create(
        learner=learner,
        activity=activity,
        version=version,
        number=used + 1,
        questions=_with_option_tokens(shown),
    )
    audit_record(
        actor=learner,
        action=CreditAction.ATTEMPT_STARTED,
        obj=attempt,
        data={"number": attempt.number, "version": version.number},
    )
    return attempt


def _with_option_tokens(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot with a fresh random token per option: what the form sends instead of the id.

    Ids follow the authoring order (the correct option is often written first), so a value that
    is an id tells a learner which option to pick. A token is drawn anew for every attempt and
    means something only to the server, which maps it back to the option when scoring.
    """
    used: set[str] = set()
    result = []
    for question in questions:
        options = []
        for option in question["options"]:
            token = secrets.token_urlsafe(OPTION_TOKEN_BYTES)
            while token in used:  # 2**-96 odds, but two equal tokens in one form would be ambiguous
                token = secrets.token_urlsafe(OPTION_TOKEN_BYTES)
            used.add(token)
            options.append({**option, "token": token})
        result.append({**question, "options": options})
    return result


def _attempt_needs_tokens(attempt: Attempt) -> bool:
    return any("token" not in option for question in attempt.questions for option in question["options"])


def _parse_answers(attempt: Attempt, answers: Mapping[str, list[str] | str]) -> dict[str, int]:
    """Option ids from the submitted tokens; anything not shown in this attempt scores nothing."""
    shown = {
        str(q["id"]): {o["token"]: o["id"] for o in q["options"] if "token" in o} for q in attempt.questions
    }
    token_question = {token: qid for qid, tokens in shown.items() for token in tokens}
    parsed: dict[str, int] = {}
    for question_id, raw in answers.items():
        values = raw if isinstance(raw, list) else [raw]
        if question_id not in shown:
            raise CreditError(
                _("An answer was sent for a question that is not part of this test."), "foreign"
            )
        if len(values) != 1:
            raise CreditError(_("Choose exactly one answer for each question."), code="duplicate")
        token = str(values[0])
        if token in shown[question_id]:
            parsed[question_id] = shown[question_id][token]
        elif token in token_question:
            raise CreditError(
                _("An answer was sent for another question than the one it belongs to."),
                code="wrong_question",
            )
        else:
            # A value from another attempt, an option id, or anything made up: never scored.
            raise CreditError(
                _(
                    "An answer was not one of the options shown in this attempt. "
                    "Choose your answers again on this page."
                ),
                code="unknown_option",
            )
    missing = [n for n, qid in enumerate(shown, start=1) if qid not in parsed]
    if missing:
        raise CreditError(
            _("Please answer every question (missing: %(list)s).") % {"list": ", ".join(map(str, missing))},
            code="missing",
        )
    return parsed


@transaction.atomic
def attempt_submit(*, attempt_id: int, learner: User, answers: Mapping[str, list[str] | str]) -> Attempt:
    """Score an attempt on the server; every attempt, pass or fail, is kept with its answers."""
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("activity", "version")
        .filter(pk=attempt_id, learner=learner)
        .first()
    )
    if attempt is None:
        raise CreditError(_("This attempt does not exist."), code="not_found")
    if attempt.is_submitted:
        raise CreditError(_("This attempt has already been submitted and scored."), code="already_submitted")
    parsed = _parse_answers(attempt, answers)
    correct_by_question = dict(
        Option.objects.filter(
            question_id__in=[q["id"] for q in attempt.questions], is_correct=True
        ).values_list("question_id", "pk")
    )
    results = {}
    for question in attempt.questions:
        qid = str(question["id"])
        right = correct_by_question.get(question["id"])
        results[qid] = {"chosen": parsed[qid], "correct_option": right, "correct": parsed[qid] == right}
    correct = sum(1 for r in results.values() if r["correct"])
    attempt.answers = parsed
    attempt.results = results
    attempt.score = round(100 * correct / len(results))
    attempt.passed = attempt.score >= attempt.version.passing_score  # the pass mark the learner was told
    attempt.submitted_at = timezone.now()
    attempt.save()
    audit_record(
        actor=learner,
        action=CreditAction.ATTEMPT_SUBMITTED,
        obj=attempt,
        data={"score": attempt.score, "passed": attempt.passed, "number": attempt.number},
    )
    return attempt


def attempt_reveals_answers(attempt: Attempt) -> bool:
    if not attempt.is_submitted:
        return False
    if attempt.activity.reveal_answers == RevealAnswers.AFTER_EACH_ATTEMPT:
        return True
    return bool(attempt.passed)


def evaluation_submit(*, learner: User, activity: Activity, data: Mapping[str, Any]) -> Evaluation:
    """Store the learner's evaluation of an activity whose post-test they passed; once.

    Validated once, in Python: each field (the Likert ratings' choices are the 1-5 the check
    constraints enforce); the database's constraints stay the last line of defence and are not
    asked again here (no query, no savepoint per constraint). One read under the learner's lock
    finds the passed attempt and any evaluation already made.
    """
    try:
        with transaction.atomic():
            lock_learner(learner.pk)
            found = (
                Attempt.objects.filter(learner=learner, activity=activity, passed=True)
                .order_by("-submitted_at")
                .annotate(evaluated=Exists(Evaluation.objects.filter(learner=learner, activity=activity)))
                .values_list("version_id", "evaluated")
                .first()
            )
            if found is None:
                raise CreditError(_("Pass the post-test before evaluating the activity."), code="not_passed")
            version_id, evaluated = found
            if evaluated:
                raise CreditError(_("You have already evaluated this activity."), code="already_evaluated")
            evaluation = Evaluation(learner=learner, activity=activity, version_id=version_id, **data)
            if not evaluation.intends_change:
                evaluation.change_description = ""
            # The learner, activity and version are rows just read; one per learner is checked above
            # under the lock (and by the unique constraint): only the submitted fields are validated.
            evaluation.full_clean(
                exclude=["learner", "activity", "version"], validate_unique=False, validate_constraints=False
            )
            evaluation.save(force_insert=True)
            audit_record(actor=learner, action=CreditAction.EVALUATION_SUBMITTED, obj=evaluation)
    except IntegrityError:  # the unique constraint: a concurrent submit won (the lock makes it rare)
        raise CreditError(_("You have already evaluated this activity."), code="already_evaluated") from None
    return evaluation


@dataclass(frozen=True)
class ClaimCheck:
    """What claim_check() found: the rows and the credit a claim is made of."""

    profile: LearnerProfile
    attempt: Attempt
    evaluation_id: int  # the learner's evaluation (all a claim keeps of it: its id)
    credits: Decimal
    capped: bool
    moc_optins: tuple[moc.OptIn, ...] = ()  # the boards the learner opted into (credits/moc.py)
    awards: tuple[credit_types.Award, ...] = ()  # further credit types (credits/credit_types.py)


# The columns claim_check's read takes: what a claim is made of, nothing more (each column costs the
# request time to compile and load; issue 14 item 7): the attempt's facts without its questions and
# answers, the learner's profile (not the account row), the version the learner was offered (its
# statements and credit types, without the listener notes) and, for the claim, the provider's row.
_CLAIM_READ = (
    "id", "learner_id", "activity_id", "version_id", "number", "score", "passed", "submitted_at",
    "learner__id", *(f"learner__profile__{f.name}" for f in LearnerProfile._meta.concrete_fields),
    "activity__id", "activity__provider_id",
    *(f"version__{f.name}" for f in ActivityVersion._meta.concrete_fields if f.name != "listener_notes_html"),
)  # fmt: skip
_CLAIM_READ_PROVIDER = (
    *_CLAIM_READ,
    *(f"activity__provider__{f.name}" for f in Provider._meta.concrete_fields),
)


def claim_check(
    *,
    learner: User,
    activity: Activity,
    minutes: int,
    attested: bool,
    moc_optins: Mapping[str, str] | None = None,
    credit_kinds: Collection[str] | None = None,
    lock_provider: bool = False,
) -> ClaimCheck:
    """The one claim-eligibility rule: may ``learner`` claim ``activity`` for ``minutes`` now?

    Raises CreditError with the reason. claim_credit() calls it, and so does billing's claim
    checkout before any money moves: a rule added here holds for both, so nobody pays for a claim
    that would then be refused. Call it with the learner's row locked (accounts.locks.lock_learner)
    so that the answer holds until the transaction commits. ``moc_optins`` ({board: board id}): the
    boards the learner asks to report the completion to for MOC (credits/moc.py check_optins).
    ``credit_kinds``: the further credit types (ANCC, ACPE, AAPA, IPCE) asked for; None: every one
    the learner's profession may claim (credits/credit_types.py check_requested).
    """
    # One read finds what a claim is made of: the passed attempt and its version, the learner's
    # profile, their evaluation, and whether they claimed already (then the rules below, in order).
    # ``lock_provider`` (the claim itself): the provider's row is locked in the same statement,
    # for the certificate number (docs/architecture-locks.md: after the learner's row).
    found = (
        Attempt.objects.filter(learner=learner, activity=activity, passed=True)
        .select_related("version", "learner__profile", "activity__provider" if lock_provider else "activity")
        .only(*(_CLAIM_READ_PROVIDER if lock_provider else _CLAIM_READ))
        # The learner's claim and evaluation: at most one row each (unique per learner and
        # activity), so joined rather than asked in subqueries.
        .annotate(
            made=FilteredRelation(
                "learner__credit_claims", condition=Q(learner__credit_claims__activity=activity)
            ),
            evaluated=FilteredRelation(
                "learner__evaluations", condition=Q(learner__evaluations__activity=activity)
            ),
        )
        .annotate(claim_found=F("made__pk"), found_evaluation_id=F("evaluated__pk"))
        .order_by("-submitted_at")
    )
    if lock_provider:
        found = found.select_for_update(of=("activity__provider",))
    attempt = found.first()
    if attempt is None or attempt.claim_found is not None:  # a refusal: the rules' own reads, in their order
        return _claim_refusal(learner=learner, activity=activity)
    profile = getattr(attempt.learner, "profile", None)
    if profile is None or profile.needs_degree_attestation or not profile_is_complete_for_credit(profile):
        return _claim_refusal(learner=learner, activity=activity)
    # What the learner was offered: its expiry applies; each refusal is worded in one place.
    if timezone.localdate() > attempt.version.expiry_date or attempt.found_evaluation_id is None:
        return _claim_refusal(learner=learner, activity=activity)
    return _claim_amounts(
        profile=profile,
        attempt=attempt,
        evaluation_id=attempt.found_evaluation_id,
        minutes=minutes,
        attested=attested,
        moc_optins=moc_optins,
        credit_kinds=credit_kinds,
    )


def _claim_refusal(*, learner: User, activity: Activity) -> NoReturn:
    """Raise the reason a claim is refused, checking the rules in their order (the slow path): the
    one place each refusal is worded; claim_check's single read only finds that one applies."""
    if CreditClaim.objects.filter(learner=learner, activity=activity).exists():
        raise CreditError(_("You have already claimed credit for this activity."), code="already_claimed")
    profile = LearnerProfile.objects.filter(user=learner).first()
    if profile is not None and profile.needs_degree_attestation:
        raise CreditError(
            _(
                "Confirm in your profile that your %(degree)s is a primary medical degree equivalent to an "
                "MD or DO (or choose your profession) before claiming credit."
            )
            % {"degree": profile.credential},
            code="profile",
        )
    if profile is None or not profile_is_complete_for_credit(profile):
        raise CreditError(
            _("Complete your profile (legal name and degree) before claiming credit."), code="profile"
        )
    attempt = _passed_attempt(learner, activity)
    if attempt is None:
        if activity.is_expired():
            raise CreditError(
                _("This activity has expired: credit can no longer be claimed."), code="expired"
            )
        raise CreditError(_("Pass the post-test before claiming credit."), code="not_passed")
    version = attempt.version  # what the learner was offered: its expiry and designation apply
    if timezone.localdate() > version.expiry_date:
        raise CreditError(_("This activity has expired: credit can no longer be claimed."), code="expired")
    if not Evaluation.objects.filter(learner=learner, activity=activity).exists():
        raise CreditError(_("Complete the evaluation before claiming credit."), code="no_evaluation")
    # Found meanwhile (a request that passed or evaluated just now): the learner sends the form again.
    raise CreditError(_("Something changed while you claimed: send the form again."), code="retry")


def _claim_amounts(
    *,
    profile: LearnerProfile,
    attempt: Attempt,
    evaluation_id: int,
    minutes: int,
    attested: bool,
    moc_optins: Mapping[str, str] | None,
    credit_kinds: Collection[str] | None,
) -> ClaimCheck:
    """The rest of the rule: the attestation, the minutes, the credit and the learner's choices."""
    version = attempt.version
    if not attested:
        raise CreditError(_("Tick the attestation to claim credit."), code="not_attested")
    if not isinstance(minutes, int) or minutes <= 0:
        raise CreditError(_("Enter the time you spent, in minutes (a positive whole number)."), "minutes")
    if minutes > MAX_REPORTED_MINUTES:
        raise CreditError(_("That is more than a day: enter the time you actually spent."), "minutes")
    credits, capped = credits_for_minutes(minutes, version.designated_credits)
    if credits < Decimal("0.25"):
        raise CreditError(
            _("The smallest claim is 0.25 credit (about 8 minutes or more of participation)."), "minutes"
        )
    optins = moc.check_optins(profile=profile, version=version, credits=credits, optins=moc_optins or {})
    awards = credit_types.check_requested(
        profile=profile, version=version, minutes=minutes, requested=credit_kinds
    )
    return ClaimCheck(
        profile=profile,
        attempt=attempt,
        evaluation_id=evaluation_id,
        credits=credits,
        capped=capped,
        moc_optins=tuple(optins),
        awards=tuple(awards),
    )


def claim_credit(
    *,
    learner: User,
    activity: Activity,
    minutes: int,
    attested: bool,
    listening_evidence: dict[str, Any] | None = None,
    moc_optins: Mapping[str, str] | None = None,
    credit_kinds: Collection[str] | None = None,
    moc_consented_at: datetime.datetime | None = None,
) -> CreditClaim:
    """Claim credit: one per learner and activity, even under concurrent requests.

    The learner's row is locked first, so concurrent claims by one learner queue up and the second
    sees the first; the unique constraint is the last line of defence. ``moc_consented_at``: when
    the learner consented to the MOC opt-ins, if not now (billing: a paid claim's checkout).

    A fixed handful of statements whatever the number of claims (tests/credits/test_query_counts.py):
    the lock, one read (claim_check, which also locks the provider's row for the certificate
    number), the inserts, and the certificate row; nothing is read back.
    """
    try:
        with transaction.atomic():
            lock_learner(learner.pk)
            checked = claim_check(
                learner=learner,
                activity=activity,
                minutes=minutes,
                attested=attested,
                moc_optins=moc_optins,
                credit_kinds=credit_kinds,
                lock_provider=True,
            )
            claim = _claim_create(
                learner=learner,
                activity=activity,
                checked=checked,
                minutes=minutes,
                listening_evidence=listening_evidence,
                moc_consented_at=moc_consented_at,
            )
    except IntegrityError:
        # No savepoint around the claim's insert: the lock makes a concurrent claim wait and see the
        # first, and the unique constraint, if it ever fires, rolls the whole claim back.
        if CreditClaim.objects.filter(learner=learner, activity=activity).exists():
            raise CreditError(
                _("You have already claimed credit for this activity."), "already_claimed"
            ) from None
        raise
    return claim


def _claim_create(
    *,
    learner: User,
    activity: Activity,
    checked: ClaimCheck,
    minutes: int,
    listening_evidence: dict[str, Any] | None,
    moc_consented_at: datetime.datetime | None,
) -> CreditClaim:
    profile, attempt, evaluation_id = checked.profile, checked.attempt, checked.evaluation_id
    credits, capped = checked.credits, checked.capped
    score = attempt.score
    if score is None:  # a passed attempt is always scored (claim_check found it passed)
        raise CreditError(_("Pass the post-test before claiming credit."), code="not_passed")
    credit_type = CreditType.AMA_PRA_1 if profile.is_physician else CreditType.PARTICIPATION
    now = timezone.now()
    claim = CreditClaim(
        learner=learner,
        activity=activity,
        version_id=attempt.version_id,
        attempt=attempt,
        evaluation_id=evaluation_id,
        minutes_reported=minutes,
        credits=credits,
        credit_type=credit_type,
        degree=profile.credential,
        attested=True,
        listening_evidence=listening_evidence or {},
        claimed_at=now,
    )
    claim.save(force_insert=True)
    CompletionRecord.objects.create(
        claim=claim,
        learner=learner,
        activity=activity,
        version_id=attempt.version_id,
        completed_at=now,
        credits=credits,
        credit_type=credit_type,
        attempt_number=attempt.number,
        score=score,
        evaluation_id=evaluation_id,
    )
    if checked.awards:
        ClaimedCredit.objects.bulk_create(
            ClaimedCredit(claim=claim, kind=award.kind, amount=award.amount, created_at=now)
            for award in checked.awards
        )
    moc_consents = moc.optins_record(
        claim=claim, learner=learner, optins=checked.moc_optins, consented_at=moc_consented_at
    )
    claim_event = (
        learner,
        CreditAction.CLAIM_CREATED,
        claim,
        {
            "activity": activity.pk,
            "version": attempt.version.number,
            "attempt": attempt.pk,
            "attempt_number": attempt.number,
            "evaluation": evaluation_id,
            "minutes": minutes,
            "credits": str(credits),
            "capped": capped,
            "credit_type": credit_type,
            "moc": moc_consents,
            "other_credits": {award.kind: str(award.amount) for award in checked.awards},
        },
    )
    events: list[AuditEntry] = [claim_event]
    # The certificate row belongs to the claim's own transaction: a claim never exists without
    # it. Only the PDF comes later, from a task enqueued when this commits (retried if it fails).
    # The provider's row was locked by claim_check's read (after the learner's).
    certificate = certificate_issue(
        claim=claim,
        profile=profile,
        version=attempt.version,
        locked_provider=attempt.activity.provider,
        audit_events=events,
    )
    audit_record_many(events)  # the claim's audit row and the certificate's, in one INSERT
    # claim.created then certificate.issued: one task, enqueued when the claim commits (credits.events)
    credit_events.credit_events(
        [(credit_events.CLAIM_CREATED, claim.pk), (credit_events.CERTIFICATE_ISSUED, certificate.pk)]
    )
    if not render_runs_at_commit():  # a worker renders it later: the page shows the row as issued
        claim.certificate = certificate  # kept on the claim (the reverse one-to-one's cache), not saved
    return claim


# --- Listening evidence --------------------------------------------------------------------------


@transaction.atomic
def listening_record(*, user: User, episode: Episode, ranges: object) -> ListeningProgress:
    """Merge the time ranges the web player reports as played (HTMLMediaElement.played)."""
    if not isinstance(ranges, list) or len(ranges) > 500:
        raise CreditError(_("Progress must be a list of [start, end] pairs."), code="bad_progress")
    clean = []
    duration = float(episode.audio_duration)
    for item in ranges:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise CreditError(_("Progress must be a list of [start, end] pairs."), code="bad_progress")
        try:
            start, end = float(item[0]), float(item[1])
        except (TypeError, ValueError):
            raise CreditError(_("Progress values must be numbers of seconds."), code="bad_progress") from None
        if not (0 <= start <= end) or start != start or end != end:  # also refuses NaN
            raise CreditError(_("Each range must go forward from 0 seconds."), code="bad_progress")
        clean.append([min(start, duration), min(end, duration)])
    progress, _created = ListeningProgress.objects.select_for_update().get_or_create(
        user=user, episode=episode
    )
    # A pause of up to a second is the same listen.
    progress.ranges = merge_intervals([*progress.ranges, *clean], join_within=1.0)
    progress.seconds_played = sum(end - start for start, end in progress.ranges)
    progress.save()
    return progress
