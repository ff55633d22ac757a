"""Factories for tests and the bench: users, shows, episodes, activities with a post-test, claims.

Plain functions over the real models and services (no factory library): the test fixtures in
``tests/conftest.py`` call them with the tests' names, the bench calls them with its own. The bulk
builders (``make_learners``, ``add_prior_claims``, ``add_claims``, ``add_certificates``) write the
rows the services write, in a few queries, for measurements that need hundreds of learners or claims.
"""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.utils import timezone

from accounts.models import Degree, LearnerProfile, User
from credits import certificates, grants, services, versions
from credits.models import (
    Activity,
    ActivityCredit,
    ActivityVersion,
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
from credits.provider_time import provider_date, provider_zone
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
    fields.setdefault("contact_email", f"cme@{slug}.example.org")
    return Provider.objects.create(name=name, slug=slug, **fields)


# A jointly accredited provider's ACPE number, and a UAN of it for a home-study activity for pharmacists.
ACPE_PROVIDER_NUMBER = "JA0000123"
UAN = "JA0000123-0000-26-001-H01-P"


def jointly_accredit(provider: Provider) -> Provider:
    """Make ``provider`` jointly accredited (ANCC, ACPE, AAPA and IPCE credit allowed), with an ACPE
    number; set before its activities are published, as the accreditations page would."""
    provider.joint_accreditation = True
    provider.acpe_provider_number = ACPE_PROVIDER_NUMBER
    provider.save()
    return provider


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


DEFAULT_PEOPLE = [{"name": "Dana Faculty", "credentials": "MD", "role": "faculty", "disclosures": []}]


def make_activity(
    *,
    provider: Provider,
    episode: Episode,
    coordinator: User,
    quiz=QUIZ,
    people=DEFAULT_PEOPLE,
    publish: bool = True,
    other_credits=(),
    **data,
) -> Activity:
    """A CME activity of 0.75 credits on ``episode`` with ``quiz`` as its post-test, through the services.

    Published (version 1) unless ``publish=False``; one faculty member without relevant
    relationships unless ``people`` says otherwise. The test audio is short, so the designation
    carries a recorded reason (credits.versions: a designation above the time needed needs one).
    ``other_credits``: further credit types offered ([{"kind", "amount", "uan", "acpe_activity_type"}],
    ActivityCredit rows written before publishing, so version 1 freezes them); the provider needs
    the accreditations behind them (e.g. ``make_provider(joint_accreditation=True)``).
    """
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
            "designation_reason": "Pilot test: learners needed 45 minutes with the cited guideline.",
            **data,
        },
    )
    if people:
        services.activity_set_people(activity=activity, actor=coordinator, people=people)
    if quiz is not None:
        services.quiz_replace(activity=activity, actor=coordinator, data=quiz)
    for offer in other_credits:
        ActivityCredit.objects.create(activity=activity, **{"amount": Decimal("0.75"), **offer})
    if publish:
        versions.activity_publish(activity=activity, actor=coordinator)
        activity.refresh_from_db()
    return activity


def publish(activity: Activity, actor: User | None = None) -> Activity:
    """Publish an activity made through the services (adding the default faculty member if it has
    nobody in control of content): what a coordinator does before learners can start."""
    if not activity.people.exists():
        services.activity_set_people(activity=activity, actor=actor, people=DEFAULT_PEOPLE)
    versions.activity_publish(activity=activity, actor=actor)
    activity.refresh_from_db()
    return activity


def expire_activity(activity: Activity, *, days_ago: int = 1, released_days_ago: int | None = None) -> None:
    """The clock passes the expiry date: the activity and every version learners saw expire together.

    (A coordinator cannot set a past expiry date: publishing refuses it. Time passing is simulated
    with a queryset update, as the tests before versions did.)"""
    expiry = timezone.localdate() - datetime.timedelta(days=days_ago)
    dates: dict[str, datetime.date] = {"expiry_date": expiry}
    if released_days_ago is not None:
        dates["release_date"] = timezone.localdate() - datetime.timedelta(days=released_days_ago)
    Activity.objects.filter(pk=activity.pk).update(**dates)
    ActivityVersion.objects.filter(activity=activity).update(**dates)
    activity.refresh_from_db()


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


def add_certificates(claims) -> list[Certificate]:
    """The certificate rows the claim service writes with each claim, in bulk: every printed field
    frozen (the legal name, the version's title and statements, the completion date in the provider's
    time zone, a number continuing the provider's series), status "being prepared" and a render due,
    exactly as ``certificates.certificate_issue`` leaves them before the PDF task runs. Totals,
    transcripts and reports count them (``selectors.credited_certificates``)."""
    if not claims:
        return []
    claims = list(
        CreditClaim.objects.filter(pk__in=[c.pk for c in claims])
        .select_related("activity__provider", "learner__profile", "version")
        .order_by("pk")
    )
    numbers: dict[tuple[int, int], str] = {}  # (provider, year) -> the last number given
    rows = []
    for claim in claims:
        provider, version = claim.activity.provider, claim.version
        year = timezone.localtime(claim.claimed_at, provider_zone(provider)).year
        last = numbers.get((provider.pk, year))
        if last is None:
            number = certificates.next_certificate_number(provider=provider, at=claim.claimed_at)
        else:
            prefix, sequence = last.rsplit("-", 1)
            number = f"{prefix}-{int(sequence) + 1:06d}"
        numbers[(provider.pk, year)] = number
        profile = getattr(claim.learner, "profile", None)
        rows.append(
            Certificate(
                claim=claim,
                code=certificates.code_generate(),
                number=number,
                learner_name=profile.legal_name if profile else claim.learner.email,
                degree=claim.degree,
                activity_title=version.title,
                completion_date=provider_date(claim.claimed_at, provider),
                credits=claim.credits,
                credit_type=claim.credit_type,
                provider_name=provider.name,
                accreditation_statement=version.content["accreditation_statement"],
                designation_statement=version.content["designation_statement"],
                issued_at=claim.claimed_at,
                status=Certificate.Status.PENDING,
                render_state=Certificate.RenderState.PENDING,
                render_next_try_at=claim.claimed_at + certificates.RENDER_FIRST_TRY_GRACE,
                version=version,
            )
        )
    return Certificate.objects.bulk_create(rows)


def add_prior_claims(activity: Activity, count: int, *, prefix: str = "prior") -> None:
    """``count`` other learners who passed, evaluated and claimed ``activity``, with completion records.

    Bulk inserts rather than the services (which would take minutes for a thousand learners); the
    rows are the ones the services write: a passed attempt, an evaluation, a claim pointing at both,
    the completion record and the certificate (its PDF not rendered yet).
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
    activity.refresh_from_db()
    version = activity.current_version
    if version is None:
        raise ValueError("add_prior_claims needs a published activity (make_activity publishes it)")
    attempts = Attempt.objects.bulk_create(
        Attempt(
            learner=u,
            activity=activity,
            version=version,
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
        Evaluation(learner=u, activity=activity, version=version, submitted_at=now, **EVALUATION)
        for u in users
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
            version=version,
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
            version=version,
            completed_at=now,
            credits=credits,
            credit_type=c.credit_type,
            attempt_number=1,
            score=100,
            evaluation_id=c.evaluation_id,
        )
        for c in claims
    )
    add_certificates(claims)


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
    # Each activity published as version 1 with what learners were shown (credits.versions).
    for activity in activities:
        activity.provider = provider
        content = versions.version_content(activity)
        activity.current_version = ActivityVersion.objects.create(
            activity=activity,
            number=1,
            title=activity.title,
            designated_credits=activity.designated_credits,
            release_date=activity.release_date,
            expiry_date=activity.expiry_date,
            passing_score=activity.passing_score,
            max_attempts=activity.max_attempts,
            content=content,
            listener_notes_html=versions.listener_notes_html(content),
        )
        activity.status = Activity.Status.PUBLISHED
    Activity.objects.bulk_update(activities, ["current_version", "status"])
    attempts = Attempt.objects.bulk_create(
        Attempt(
            learner=learner,
            activity=a,
            version=a.current_version,
            number=1,
            started_at=now,
            submitted_at=now,
            score=100,
            passed=True,
        )
        for a in activities
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            learner=learner,
            activity=a,
            version=a.current_version,
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
            version=a.current_version,
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
            version_id=c.version_id,
            completed_at=now,
            credits=c.credits,
            credit_type=c.credit_type,
            attempt_number=1,
            score=100,
            evaluation_id=c.evaluation_id,
        )
        for c in claims
    )
    add_certificates(claims)
    return claims
