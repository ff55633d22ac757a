"""Reads for CME activities: what the learner has done and what comes next; coordinator summaries."""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import LearnerProfile, User
from episodes.intervals import union_byte_ranges
from episodes.models import DownloadRequest, Episode, ShowHost

# Verified clinicians heard in a show's public episodes (credits/clinicians.py), re-exported for other
# apps (the fediverse actor profile lists them).
from .clinicians import VerifiedPerson as VerifiedPerson
from .clinicians import verified_people_for_show as verified_people_for_show
from .models import (
    RENDER_OVERDUE_MINUTES,
    Activity,
    ActivityVersion,
    Attempt,
    Certificate,
    CreditClaim,
    Evaluation,
    ListeningProgress,
    Option,
    Provider,
    ProviderCoordinator,
)


def credited_certificates() -> QuerySet[Certificate]:
    """The one rule for credit (issue 12): every total, transcript, report and export counts these
    certificates, with the figures of their current revision (credits, credit type, completion date,
    activity title). A revoked certificate is not credit; one whose PDF is not rendered yet is (the
    claim is valid, only the file is late). A history may show revoked ones, marked as revoked."""
    return Certificate.objects.exclude(status=Certificate.Status.REVOKED)


def activity_for_episode(episode: Episode) -> Activity | None:
    """The episode's activity as learners may see it (a draft is its coordinators' only), with the
    version it offers: the panel reads what learners are shown (people, disclosures, statements)
    from the version, never from this editable row."""
    return (
        Activity.objects.filter(episode=episode)
        .exclude(status=Activity.Status.DRAFT)
        .select_related("provider", "episode__show", "current_version")
        .first()
    )


def listening_evidence(*, user: User, episode: Episode) -> dict[str, Any]:
    """What podcastcme observed of the learner's listening (a record; attestation stays the rule)."""
    progress = ListeningProgress.objects.filter(user=user, episode=episode).first()
    return _evidence(user=user, episode=episode, progress=progress, app_downloads=True)


def _evidence(
    *, user: User, episode: Episode, progress: ListeningProgress | None, app_downloads: bool
) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    if progress is not None and progress.seconds_played > 0:
        evidence["web_player"] = {
            "seconds_played": round(progress.seconds_played),
            "duration": round(episode.audio_duration),
            "first_played_at": progress.first_played_at.isoformat(),
            "last_played_at": progress.updated_at.isoformat(),
        }
    app = _podcast_app_evidence(user=user, episode=episode) if app_downloads else None
    if app is not None:
        evidence["podcast_app"] = app
    return evidence


@dataclass
class ClaimPage:
    """What the claim page needs of the learner (claim_page()): their claim if made, the version
    they were offered, their profile and what podcastcme observed of their listening."""

    claim: CreditClaim | None
    version: ActivityVersion | None
    profile: Any  # accounts.LearnerProfile or None
    evidence: dict[str, Any]
    # The learner's roles for the page's navigation, read in the same query (the view hands them to
    # accounts.permissions' per-request cache, so the navigation does not ask again).
    is_host: bool = False
    is_coordinator: bool = False
    # The steps before the claim (the page asks for them when not done): read in the same query.
    passed: bool = True
    evaluated: bool = True


def _app_requests(user_ref: Any, episode: Episode) -> QuerySet[DownloadRequest]:
    return DownloadRequest.objects.filter(
        user=user_ref, episode=episode, method="GET", status__in=(200, 206), is_bot=False
    ).exclude(range_start__isnull=True)


_PROFILE_FIELDS = tuple(f"profile__{f.name}" for f in LearnerProfile._meta.concrete_fields)


def claim_page(*, learner: User, activity: Activity) -> ClaimPage:
    """One query for the claim page (the learner's profile, their claim and web-player progress
    joined, subqueries for their version, whether their app downloaded the episode and their roles
    for the navigation); a second only when there is something more to show (the claim made, an
    older version, the app's downloads)."""
    row = (
        User.objects.filter(pk=learner.pk)
        .select_related("profile")
        .only("id", *_PROFILE_FIELDS)  # the profile: the account row is request.user already
        # The claim and the web player's progress: at most one row each (unique per learner and
        # activity, per user and episode), so joined rather than asked in subqueries.
        .annotate(
            made=FilteredRelation("credit_claims", condition=Q(credit_claims__activity=activity)),
            heard=FilteredRelation("listening", condition=Q(listening__episode_id=activity.episode_id)),
        )
        .annotate(
            claim_pk=F("made__pk"),
            version_pk=Subquery(
                Attempt.objects.filter(learner=OuterRef("pk"), activity=activity, version__isnull=False)
                .order_by("-number")
                .values("version_id")[:1]
            ),
            progress_pk=F("heard__pk"),
            progress_seconds=F("heard__seconds_played"),
            progress_first=F("heard__first_played_at"),
            progress_last=F("heard__updated_at"),
            app_downloads=Exists(_app_requests(OuterRef("pk"), activity.episode)),
            nav_host=Exists(ShowHost.objects.filter(user=OuterRef("pk"))),
            nav_coordinator=Exists(ProviderCoordinator.objects.filter(user=OuterRef("pk"))),
            passed=Exists(Attempt.objects.filter(learner=OuterRef("pk"), activity=activity, passed=True)),
            evaluated=Exists(Evaluation.objects.filter(learner=OuterRef("pk"), activity=activity)),
        )
        .get()
    )
    profile = getattr(row, "profile", None)
    claim = learner_claim(learner=learner, activity=activity) if row.claim_pk is not None else None
    if row.version_pk is None or row.version_pk == activity.current_version_id:
        version = activity.current_version
    else:
        version = ActivityVersion.objects.get(pk=row.version_pk)
    seen = None
    if row.progress_pk is not None:
        seen = ListeningProgress(
            pk=row.progress_pk,
            user_id=learner.pk,
            episode_id=activity.episode_id,
            seconds_played=row.progress_seconds,
            first_played_at=row.progress_first,
            updated_at=row.progress_last,
        )
    evidence = _evidence(
        user=learner, episode=activity.episode, progress=seen, app_downloads=row.app_downloads
    )
    return ClaimPage(
        claim=claim,
        version=version,
        profile=profile,
        evidence=evidence,
        is_host=bool(row.nav_host),
        is_coordinator=bool(row.nav_coordinator),
        passed=bool(row.passed),
        evaluated=bool(row.evaluated),
    )


def _podcast_app_evidence(*, user: User, episode: Episode) -> dict[str, Any] | None:
    """Downloads through the learner's personal feed: how much of the file their app fetched."""
    requests = (
        _app_requests(user, episode)
        .order_by("requested_at")
        .values_list("range_start", "range_end", "requested_at", "app")[:5000]
    )
    fetched_ranges: list[list[int]] = []
    first_at: datetime.datetime | None = None
    last_at: datetime.datetime | None = None
    apps: list[str] = []
    for start, end, at, app in requests:
        if start is None or end is None:  # a whole-file request (the query leaves them out)
            continue
        first_at = first_at or at
        last_at = at
        if app and app not in apps:
            apps.append(app)
        fetched_ranges.append([start, end])
    if not fetched_ranges or first_at is None or last_at is None:
        return None
    _union, fetched = union_byte_ranges(fetched_ranges)
    size = max(episode.audio_size, 1)
    whole = fetched >= size
    app_name = ", ".join(apps) or _("your podcast app")
    when = formats.date_format(timezone.localtime(last_at), "DATETIME_FORMAT")
    if whole:
        summary = _("%(app)s downloaded the whole episode through your personal feed on %(when)s.")
    else:
        summary = _(
            "%(app)s downloaded %(percent)d%% of the episode through your personal feed (last on %(when)s)."
        )
    return {
        "bytes_fetched": fetched,
        "size": size,
        "whole": whole,
        "apps": apps,
        "first_at": first_at.isoformat(),
        "last_at": last_at.isoformat(),
        "summary": summary
        % {"app": app_name, "when": when, "percent": min(100, round(100 * fetched / size))},
    }


@dataclass
class LearnerStatus:
    activity: Activity
    attempts: list[Attempt] = field(default_factory=list)
    evaluation: Evaluation | None = None
    claim: CreditClaim | None = None
    listened: bool = False

    @property
    def passed_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.passed), None)

    @property
    def version(self) -> ActivityVersion | None:
        """The version this learner is shown: their latest attempt's (a learner under way keeps what
        they were offered), else the one offered now (see version_for_learner, the same rule by query)."""
        if self.attempts:
            return self.attempts[-1].version
        return self.activity.current_version

    @property
    def title(self) -> str:
        version = self.version
        return version.title if version is not None else self.activity.title

    @property
    def open_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if not a.is_submitted), None)

    @property
    def attempts_used(self) -> int:
        return len(self.attempts)

    @property
    def attempts_left(self) -> int | None:
        if not self.activity.max_attempts:
            return None
        return max(self.activity.max_attempts - self.attempts_used, 0)

    @property
    def stage(self) -> str:
        if self.claim:
            return "claimed"
        if self.evaluation:
            return "evaluated"
        if self.passed_attempt:
            return "passed"
        if self.attempts:
            return "attempted"
        if self.listened:
            return "listened"
        return "new"

    @property
    def stage_label(self) -> str:
        return {
            "claimed": _("Credit claimed"),
            "evaluated": _("Evaluated — claim your credit"),
            "passed": _("Post-test passed — evaluate the activity"),
            "attempted": _("Post-test not passed yet"),
            "listened": _("Listened — take the post-test"),
            "new": _("Not started"),
        }[self.stage]

    def next_step(self) -> tuple[str, str] | None:
        """(label, URL) of what the learner should do next, or None when done or impossible."""
        pk = self.activity.pk
        if self.claim:
            return None
        if self.evaluation:
            return _("Claim credit"), reverse("credits:claim", args=[pk])
        # The claim page asks for what is left (post-test, evaluation, profile) and claims, in one go.
        if self.passed_attempt:
            return _("Evaluate and claim credit"), reverse("credits:claim", args=[pk])
        if self.activity.is_expired():
            return None
        if self.attempts_left == 0:
            return None
        return _("Take the post-test"), reverse("credits:claim", args=[pk])


def learner_status(*, learner: User, activity: Activity) -> LearnerStatus:
    if not learner.is_authenticated:
        return LearnerStatus(activity=activity)
    return LearnerStatus(
        activity=activity,
        attempts=list(
            Attempt.objects.filter(learner=learner, activity=activity)
            .select_related("version")
            .order_by("number")
        ),
        evaluation=Evaluation.objects.filter(learner=learner, activity=activity).first(),
        claim=CreditClaim.objects.filter(learner=learner, activity=activity).first(),
        listened=ListeningProgress.objects.filter(user=learner, episode_id=activity.episode_id).exists(),
    )


def version_for_learner(*, learner: User, activity: Activity) -> ActivityVersion | None:
    """The version a learner is shown: the one their latest attempt started under (a learner under
    way keeps what they were offered; their claim takes the passed attempt's), else the one offered
    now. Learner pages print titles, statements and designation from it, never the editable row."""
    if learner.is_authenticated:
        attempt = (
            Attempt.objects.filter(learner=learner, activity=activity, version__isnull=False)
            .select_related("version")
            .order_by("-number")
            .first()
        )
        if attempt is not None:
            return attempt.version
    return activity.current_version


def learner_activity(*, pk: int, only: tuple[str, ...] = ()) -> Activity | None:
    """An activity as learners may open it: None unless its episode is public (a draft's is not found);
    with ``only``, just those columns."""
    activities = Activity.objects.select_related("provider", "episode__show", "current_version")
    if only:
        activities = activities.only(*only)
    activity = (
        activities.exclude(status=Activity.Status.DRAFT)  # a draft is its coordinators' only
        .filter(pk=pk)
        .first()
    )
    return activity if activity is not None and activity.episode.is_public else None


# What the claim page uses of the activity (billing/views.py claim, and the services it calls): no
# coordinator's working copy, no show notes, no listener notes (each column costs the request).
_CLAIM_ACTIVITY_FIELDS = (
    "id", "title", "status", "expiry_date", "release_date", "episode_id", "provider_id", "current_version_id",
    *(f"provider__{f.name}" for f in Provider._meta.concrete_fields),
    "episode__id", "episode__show_id", "episode__title", "episode__slug", "episode__status",
    "episode__publish_at", "episode__audio_size", "episode__audio_duration", "episode__show__id",
    "episode__show__slug", "episode__show__title",
    *(f"current_version__{f.name}" for f in ActivityVersion._meta.concrete_fields
      if f.name != "listener_notes_html"),
)  # fmt: skip


def claim_activity(*, pk: int) -> Activity | None:
    """learner_activity() for the claim page: the same rule (None unless its episode is public), only
    the columns the claim uses (_CLAIM_ACTIVITY_FIELDS)."""
    return learner_activity(pk=pk, only=_CLAIM_ACTIVITY_FIELDS)


def own_certificate(*, certificate: Certificate, user: Any) -> dict[str, Any] | None:
    """What a certificate's verification page adds for the learner it belongs to: the download, and
    the post-test feedback (answers, rationale and references) of the attempt that earned it."""
    if not user.is_authenticated or certificate.claim.learner_id != user.pk:
        return None
    attempt = (
        Attempt.objects.filter(learner=user, activity_id=certificate.claim.activity_id, passed=True)
        .order_by("-number")
        .first()
    )
    return {
        "certificate": certificate,
        "attempt": attempt,
        "rows": attempt_feedback(attempt, reveal=True) if attempt is not None else [],
    }


def learner_claim(*, learner: User, activity: Activity) -> CreditClaim | None:
    """The learner's claim on the activity (with its certificate), or None: one query."""
    return (
        CreditClaim.objects.filter(learner=learner, activity=activity).select_related("certificate").first()
    )


def attempt_feedback(attempt: Attempt, *, reveal: bool) -> list[dict[str, Any]]:
    """Each question of a submitted attempt as the learner answered it; with ``reveal``, the correct
    answer, its rationale and references (the feedback ABIM MOC asks for). One query when revealed."""
    options = {}
    if reveal:
        question_ids = [q["id"] for q in attempt.questions]
        options = {
            o.pk: o for o in Option.objects.filter(question_id__in=question_ids).select_related("question")
        }
    rows = []
    for n, question in enumerate(attempt.questions, start=1):
        result = attempt.results.get(str(question["id"]), {})
        texts = {o["id"]: o["text"] for o in question["options"]}
        correct_option = options.get(result.get("correct_option")) if reveal else None
        rows.append(
            {
                "n": n,
                "text": question["text"],
                "chosen": texts.get(result.get("chosen"), ""),
                "correct": result.get("correct"),
                "correct_text": texts.get(result.get("correct_option")) if reveal else None,
                "rationale": correct_option.question.rationale if correct_option else "",
                "references": correct_option.question.references_list if correct_option else [],
            }
        )
    return rows


def evaluation_state(*, learner: User, activity: Activity) -> tuple[bool, bool]:
    """(has evaluated, has passed the post-test): the two facts the evaluation page needs, one query."""
    row = (
        Activity.objects.filter(pk=activity.pk)
        .annotate(
            evaluated=Exists(Evaluation.objects.filter(learner=learner, activity=OuterRef("pk"))),
            passed=Exists(Attempt.objects.filter(learner=learner, activity=OuterRef("pk"), passed=True)),
        )
        .values_list("evaluated", "passed")
        .first()
    )
    return (bool(row[0]), bool(row[1])) if row else (False, False)


def my_learning(*, learner: User) -> tuple[list[LearnerStatus], list[CreditClaim]]:
    """Activities in progress (with their next step) and claimed credits; a constant number of queries."""
    activity_ids = set(Attempt.objects.filter(learner=learner).values_list("activity_id", flat=True))
    listened_episodes = set(
        ListeningProgress.objects.filter(user=learner).values_list("episode_id", flat=True)
    )
    activity_ids |= set(
        Activity.objects.filter(episode_id__in=listened_episodes).values_list("pk", flat=True)
    )
    activities = {
        a.pk: a
        for a in Activity.objects.filter(pk__in=activity_ids)
        .exclude(status=Activity.Status.DRAFT)  # listened to an episode whose activity is not published
        .select_related("provider", "episode__show", "current_version")
    }
    attempts: dict[int, list[Attempt]] = {}
    in_order = Attempt.objects.filter(learner=learner, activity_id__in=activities).order_by("number")
    for attempt in in_order.select_related("version"):
        attempts.setdefault(attempt.activity_id, []).append(attempt)
    evaluations = {
        e.activity_id: e for e in Evaluation.objects.filter(learner=learner, activity_id__in=activities)
    }
    claims = list(
        CreditClaim.objects.filter(learner=learner).select_related(
            "activity__provider", "activity__episode__show", "certificate"
        )
    )
    claimed = {c.activity_id for c in claims}
    in_progress = [
        LearnerStatus(
            activity=activity,
            attempts=attempts.get(pk, []),
            evaluation=evaluations.get(pk),
            listened=activity.episode_id in listened_episodes,
        )
        for pk, activity in activities.items()
        if pk not in claimed
    ]
    in_progress.sort(key=lambda s: s.title.lower())
    return in_progress, claims


def coordinator_activities(*, user: User):
    return (
        Activity.objects.filter(provider__memberships__user=user)
        .select_related("provider", "episode__show")
        .annotate(
            # Credited claims only: a revoked certificate is not credit (credited_certificates).
            n_claims=Count(
                "claims__certificate",
                filter=~Q(claims__certificate__status=Certificate.Status.REVOKED),
                distinct=True,
            ),
            n_questions=Count("questions", distinct=True),
        )
        .order_by("-release_date", "-id")
    )


def coordinator_activity(*, user: User, pk: int) -> Activity | None:
    return (
        Activity.objects.filter(pk=pk, provider__memberships__user=user)
        .select_related("provider", "episode__show")
        .first()
    )


def evaluation_summary(activity: Activity) -> dict[str, Any]:
    """Aggregated evaluation results of an activity, for its coordinators."""
    evaluations = Evaluation.objects.filter(activity=activity)
    totals = evaluations.aggregate(
        n=Count("id"),
        objectives_met=Avg("objectives_met"),
        relevant_to_practice=Avg("relevant_to_practice"),
        free_of_bias=Avg("free_of_bias"),
        intends_change=Count("id", filter=Q(intends_change=True)),
    )
    distribution = {}
    for item in ("objectives_met", "relevant_to_practice", "free_of_bias"):
        counts = dict(evaluations.values_list(item).annotate(c=Count("id")).values_list(item, "c"))
        distribution[item] = [counts.get(score, 0) for score in range(1, 6)]
    return {
        "totals": totals,
        "distribution": distribution,
        "changes": list(
            evaluations.filter(intends_change=True)
            .exclude(change_description="")
            .values_list("change_description", flat=True)[:200]
        ),
        "comments": list(evaluations.exclude(comments="").values_list("comments", flat=True)[:200]),
        "attempts": Attempt.objects.filter(activity=activity, submitted_at__isnull=False).count(),
        "passed": Attempt.objects.filter(activity=activity, passed=True).count(),
        "claims": credited_certificates().filter(claim__activity=activity).count(),
    }


def certificates_needing_attention(*, user: User, limit: int = 100) -> list:
    """The coordinator's certificates whose PDF failed or is overdue (not revoked), oldest first."""
    late = timezone.now() - datetime.timedelta(minutes=RENDER_OVERDUE_MINUTES)
    return list(
        Certificate.objects.filter(claim__activity__provider__memberships__user=user, pdf="")
        .exclude(status=Certificate.Status.REVOKED)
        .filter(
            Q(render_state=Certificate.RenderState.FAILED)
            | Q(render_state=Certificate.RenderState.PENDING, issued_at__lt=late)
        )
        .select_related("claim__activity__provider")
        .order_by("issued_at", "pk")[:limit]
    )
