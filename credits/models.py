"""Providers, CME activities and their records: quizzes, attempts, evaluations, claims, completions."""

import datetime
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TIME_ZONE_CHOICES, User

from .calendar_years import add_years


class AccreditationType(models.TextChoices):
    DIRECT = "direct", _("Direct providership")
    JOINT = "joint", _("Joint providership")


class Provider(models.Model):
    """The ACCME-accredited organization responsible for the activities (e.g. a society)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    accreditation_type = models.CharField(
        _("accreditation statement"),
        max_length=10,
        choices=AccreditationType.choices,
        default=AccreditationType.DIRECT,
    )
    joint_provider_name = models.CharField(
        _("joint provider"),
        max_length=200,
        blank=True,
        help_text=_("The non-accredited organization, for joint providership only."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text=_("Completion dates on certificates and reports are given in this time zone."),
    )
    coordinators: models.ManyToManyField[User, "ProviderCoordinator"] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ProviderCoordinator",
        related_name="coordinated_providers",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accreditation_type="direct") | ~models.Q(joint_provider_name=""),
                name="provider_joint_needs_partner",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.accreditation_type == AccreditationType.JOINT and not self.joint_provider_name.strip():
            raise ValidationError(
                {"joint_provider_name": _("Joint providership needs the joint provider's name.")}
            )


class ProviderCoordinator(models.Model):
    """A CME coordinator: manages the provider's activities and reports."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("coordinator membership")
        constraints = [
            models.UniqueConstraint(fields=["provider", "user"], name="coordinator_unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class GrantStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested by the provider")
    INVITED = "invited", _("Invited by the show's hosts")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REVOKED = "revoked", _("Revoked")


GRANT_OPEN_STATUSES = (GrantStatus.REQUESTED, GrantStatus.INVITED, GrantStatus.ACTIVE)
GRANT_PENDING_STATUSES = (GrantStatus.REQUESTED, GrantStatus.INVITED)
GRANT_CLOSED_STATUSES = (GrantStatus.DECLINED, GrantStatus.WITHDRAWN, GrantStatus.REVOKED)


class GrantQuerySet(models.QuerySet):
    def active(self) -> "GrantQuerySet":
        return self.filter(status=GrantStatus.ACTIVE)

    def delete(self):
        raise TypeError("Show grants are never deleted: revoke them.")


class ShowProviderGrant(models.Model):
    """A show's hosts allow a provider to make the show's episodes CME activities (credits/grants.py).

    Opened by either side (a host invites, or a coordinator requests), made active by the other side,
    ended by either. Rows are never deleted: the history is the record of who allowed whom, when.
    """

    show = models.ForeignKey("episodes.Show", on_delete=models.PROTECT, related_name="provider_grants")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="show_grants")
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Who declined, withdrew or revoked it, and when.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("show grant")
        constraints = [
            models.UniqueConstraint(
                fields=["show", "provider"],
                condition=models.Q(status__in=["requested", "invited", "active"]),
                name="grant_one_open_per_show_provider",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="active") | models.Q(accepted_at__isnull=False),
                name="grant_active_was_accepted",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["requested", "invited", "active"])
                | models.Q(closed_at__isnull=False),
                name="grant_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.show} → {self.provider} ({self.status})"

    def delete(self, *args, **kwargs):
        raise TypeError("Show grants are never deleted: revoke them.")

    @property
    def is_active(self) -> bool:
        return self.status == GrantStatus.ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.status in GRANT_PENDING_STATUSES


def _quarter_step(field: str) -> Exact:
    """True when ``field`` is a whole number of quarters: x*4 equals its own integer cast."""
    times_four = models.ExpressionWrapper(
        F(field) * 4, output_field=models.DecimalField(max_digits=8, decimal_places=2)
    )
    return Exact(times_four, Cast(times_four, output_field=models.IntegerField()))


def _with_quarter_steps(condition: models.Q, field: str) -> models.Q:
    """``condition`` and ``field`` in whole quarters. Django makes a Q of a Q and a conditional
    expression; django-stubs only knows Q & Q (it says Combinable), hence the cast."""
    return cast(models.Q, condition & _quarter_step(field))


class MandateTopic(models.Model):
    """A topic some state boards mandate CME in (opioid prescribing, implicit bias, ...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("state-mandate topic")

    def __str__(self) -> str:
        return self.name


class RevealAnswers(models.TextChoices):
    AFTER_PASSING = "after_passing", _("After the learner passes")
    AFTER_EACH_ATTEMPT = "after_each_attempt", _("After each attempt")


class ActivityQuerySet(models.QuerySet):
    def claimable(self, today: datetime.date | None = None) -> "ActivityQuerySet":
        today = today or timezone.localdate()
        return self.filter(release_date__lte=today, expiry_date__gte=today)


class Activity(models.Model):
    """An enduring-material CME activity: one episode, owned by one accredited provider."""

    episode = models.OneToOneField("episodes.Episode", on_delete=models.PROTECT, related_name="activity")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="activities")
    title = models.CharField(_("title"), max_length=255)
    objectives = models.TextField(_("learning objectives"), help_text=_("One objective per line."))
    target_audience = models.CharField(_("target audience"), max_length=255)
    designated_credits = models.DecimalField(
        _("designated credits"),
        max_digits=4,
        decimal_places=2,
        help_text=_(
            "AMA PRA Category 1 Credits™: a multiple of 0.25, at least 0.25 (60 minutes = 1 credit)."
        ),
    )
    release_date = models.DateField(_("release date"))
    last_review_date = models.DateField(_("date of last review"), null=True, blank=True)
    expiry_date = models.DateField(
        _("expiration date"), help_text=_("At most 3 years after the release or the last review.")
    )
    commercial_support = models.CharField(
        _("commercial support"),
        max_length=255,
        blank=True,
        help_text=_("Name the supporter; leave empty when there is none."),
    )
    passing_score = models.PositiveSmallIntegerField(
        _("passing score (%)"), default=75, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), default=0, help_text=_("0 means unlimited.")
    )
    reveal_answers = models.CharField(
        _("reveal correct answers"),
        max_length=20,
        choices=RevealAnswers.choices,
        default=RevealAnswers.AFTER_PASSING,
    )
    mandate_topics = models.ManyToManyField(MandateTopic, blank=True, related_name="activities")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-release_date", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                condition=_with_quarter_steps(
                    models.Q(designated_credits__gte=Decimal("0.25")), "designated_credits"
                ),
                name="activity_credits_quarter_steps",
            ),
            models.CheckConstraint(
                condition=models.Q(passing_score__gte=1, passing_score__lte=100),
                name="activity_passing_score_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(expiry_date__gte=F("release_date")), name="activity_expiry_after_release"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors: dict[str, Any] = {}
        credits = self.designated_credits
        if credits is not None and (credits < Decimal("0.25") or (credits * 4) % 1 != 0):
            errors["designated_credits"] = _("Designated credits must be a multiple of 0.25, at least 0.25.")
        if self.release_date and self.expiry_date:
            start = max(filter(None, [self.release_date, self.last_review_date]))
            limit = add_years(start, 3)
            if self.expiry_date > limit:
                errors["expiry_date"] = _(
                    "An enduring material may be offered at most 3 years from its release or last review "
                    "(here until %(limit)s)."
                ) % {"limit": limit.isoformat()}
            if self.expiry_date < self.release_date:
                errors["expiry_date"] = _("The expiry date is before the release date.")
        if self.last_review_date and self.release_date and self.last_review_date < self.release_date:
            errors["last_review_date"] = _("The last review cannot be before the release.")
        if errors:
            raise ValidationError(errors)

    @property
    def estimated_minutes(self) -> int:
        return int(self.designated_credits * 60)

    def is_expired(self, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.expiry_date

    def is_released(self, today: datetime.date | None = None) -> bool:
        return (today or timezone.localdate()) >= self.release_date

    @property
    def objectives_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.objectives.splitlines() if line.strip(" -•\t")]


class ContentPerson(models.Model):
    """Someone in control of content, with their financial-relationship disclosure (ACCME Standard 3)."""

    class Role(models.TextChoices):
        FACULTY = "faculty", _("Faculty")
        PLANNER = "planner", _("Planner")
        REVIEWER = "reviewer", _("Reviewer")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="people")
    name = models.CharField(_("name"), max_length=128)
    credentials = models.CharField(_("credentials"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.FACULTY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("person in control of content")

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class Disclosure(models.Model):
    """One relevant financial relationship with an ineligible company in the prior 24 months."""

    class Nature(models.TextChoices):
        CONSULTANT = "consultant", _("Consultant")
        SPEAKER = "speaker", _("Speakers' bureau")
        ADVISORY = "advisory", _("Advisory board")
        RESEARCH = "research", _("Research grant (to institution or self)")
        STOCK = "stock", _("Stock or ownership interest")
        EMPLOYEE = "employee", _("Employee")
        ROYALTIES = "royalties", _("Royalties or patent")
        OTHER = "other", _("Other")

    person = models.ForeignKey(ContentPerson, on_delete=models.CASCADE, related_name="disclosures")
    company = models.CharField(_("ineligible company"), max_length=200)
    nature = models.CharField(_("nature of relationship"), max_length=20, choices=Nature.choices)
    mitigated = models.BooleanField(_("mitigated"), default=False)

    class Meta:
        ordering = ["company", "id"]
        verbose_name = _("disclosure")

    def __str__(self) -> str:
        return f"{self.company} ({self.get_nature_display()})"


class Question(models.Model):
    """A single-best-answer post-test question with its rationale and references."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("question"))
    rationale = models.TextField(_("rationale"), blank=True)
    references = models.TextField(_("references"), blank=True, help_text=_("One per line: links or DOIs."))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("question")

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def references_list(self) -> list[str]:
        return [line.strip() for line in self.references.splitlines() if line.strip()]


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("option"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("option")
        constraints = [
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(is_correct=True),
                name="option_one_correct_per_question",
            )
        ]

    def __str__(self) -> str:
        return self.text


class _AppendOnly(models.Model):
    """Records that are never deleted (6-year retention); only explicit services change them."""

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise TypeError(f"{self._meta.verbose_name} records are never deleted.")


class RecordQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError("Credit records are never deleted.")


class Attempt(_AppendOnly):
    """One try at the post-test: the options as shown (shuffled), the answers, the score."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # [{"id": q, "text": ..., "options": [{"id": o, "text": ..., "token": t}, ...]}] in the order
    # shown; the form sends each option's token (random, new for every attempt), never its id.
    questions = models.JSONField(default=list)
    # {"<question id>": <option id>} as submitted.
    answers = models.JSONField(default=dict, blank=True)
    # {"<question id>": {"chosen": o, "correct_option": o, "correct": bool}} at scoring time.
    results = models.JSONField(default=dict, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Percent."))
    passed = models.BooleanField(null=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "learner", "number"]
        verbose_name = _("post-test attempt")
        constraints = [
            models.UniqueConstraint(fields=["learner", "activity", "number"], name="attempt_unique_number"),
            models.UniqueConstraint(
                fields=["learner", "activity"],
                condition=models.Q(submitted_at__isnull=True),
                name="attempt_one_open_per_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} — {self.activity} #{self.number}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Likert(models.IntegerChoices):
    STRONGLY_DISAGREE = 1, _("Strongly disagree")
    DISAGREE = 2, _("Disagree")
    NEUTRAL = 3, _("Neutral")
    AGREE = 4, _("Agree")
    STRONGLY_AGREE = 5, _("Strongly agree")


class Evaluation(_AppendOnly):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="evaluations"
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="evaluations")
    objectives_met = models.PositiveSmallIntegerField(
        _("The activity met its stated objectives"), choices=Likert.choices
    )
    relevant_to_practice = models.PositiveSmallIntegerField(
        _("The content is relevant to my practice"), choices=Likert.choices
    )
    free_of_bias = models.PositiveSmallIntegerField(
        _("The content was free of commercial bias"), choices=Likert.choices
    )
    intends_change = models.BooleanField(_("I intend to change my practice as a result"))
    change_description = models.TextField(_("What will you change?"), blank=True, max_length=2000)
    comments = models.TextField(_("Comments"), blank=True, max_length=4000)
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        constraints = [
            models.UniqueConstraint(fields=["learner", "activity"], name="evaluation_one_per_learner"),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{f}__gte": 1, f"{f}__lte": 5}), name=f"evaluation_{f}_likert"
                )
                for f in ("objectives_met", "relevant_to_practice", "free_of_bias")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.learner} — {self.activity}"


class CreditType(models.TextChoices):
    AMA_PRA_1 = "ama_pra_1", _("AMA PRA Category 1 Credit™")
    PARTICIPATION = "participation", _("Certificate of participation")


class CreditClaim(_AppendOnly):
    """The learner's claim of credit: exactly one per learner and activity, never deleted."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_claims"
    )
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="claims")
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="+")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    minutes_reported = models.PositiveIntegerField(_("minutes spent"))
    credits = models.DecimalField(_("credits claimed"), max_digits=4, decimal_places=2)
    credit_type = models.CharField(_("credit type"), max_length=20, choices=CreditType.choices)
    degree = models.CharField(_("degree at claim"), max_length=40)
    attested = models.BooleanField(_("attestation"))
    listening_evidence = models.JSONField(_("listening observed"), default=dict, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-claimed_at", "-id"]
        verbose_name = _("credit claim")
        constraints = [
            models.UniqueConstraint(fields=["learner", "activity"], name="claim_one_per_learner_activity"),
            models.CheckConstraint(
                condition=_with_quarter_steps(models.Q(credits__gte=Decimal("0.25")), "credits"),
                name="claim_credits_quarter_steps",
            ),
            models.CheckConstraint(condition=models.Q(attested=True), name="claim_attested"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} — {self.activity}: {self.credits}"


class CompletionRecord(_AppendOnly):
    """The append-only record of a completion, as a provider reports it; never changed or deleted."""

    claim = models.OneToOneField(CreditClaim, on_delete=models.PROTECT, related_name="completion")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()
    credits = models.DecimalField(max_digits=4, decimal_places=2)
    credit_type = models.CharField(max_length=20, choices=CreditType.choices)
    attempt_number = models.PositiveSmallIntegerField()
    score = models.PositiveSmallIntegerField()
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at"]
        verbose_name = _("completion record")

    def __str__(self) -> str:
        return f"{self.learner} completed {self.activity}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Completion records are append-only.")
        super().save(*args, **kwargs)


class ListeningProgress(models.Model):
    """What the web player reported a learner heard of an episode (merged played ranges)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listening")
    episode = models.ForeignKey("episodes.Episode", on_delete=models.CASCADE, related_name="+")
    ranges = models.JSONField(default=list, help_text=_("Merged [start, end] seconds played."))
    seconds_played = models.FloatField(default=0)
    first_played_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listening progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "episode"], name="listening_one_per_user_episode")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.episode_id}: {self.seconds_played:.0f}s"


# --- Certificates (issue 6) -----------------------------------------------------------------------

CERTIFICATE_FORMAT = "Enduring material — podcast"


# A certificate whose PDF is not there this long after issue is late: the learner is told so plainly
# and it is listed on the coordinator dashboard (normally a render takes well under a second).
RENDER_OVERDUE_MINUTES = 10


class Certificate(models.Model):
    """The certificate of one claim. Every printed field is frozen here at issue; a correction is a
    new revision (same verification code), and the previous one is kept in CertificateRevision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        ISSUED = "issued", _("Valid")
        REVOKED = "revoked", _("Revoked")

    class RenderState(models.TextChoices):
        """Where the current revision's PDF is; independent of the status (what the certificate says)."""

        PENDING = "pending", _("Waiting to be rendered")
        RENDERED = "rendered", _("Rendered")
        FAILED = "failed", _("Rendering failed")

    claim = models.OneToOneField(CreditClaim, on_delete=models.PROTECT, related_name="certificate")
    code = models.CharField(_("verification code"), max_length=32, unique=True, editable=False)
    number = models.CharField(_("certificate number"), max_length=40, unique=True, editable=False)
    revision = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Frozen at issue (and at each re-issue): exactly what the PDF prints.
    learner_name = models.CharField(max_length=400)
    degree = models.CharField(max_length=40)
    activity_title = models.CharField(max_length=255)
    format = models.CharField(max_length=60, default=CERTIFICATE_FORMAT)
    completion_date = models.DateField()
    credits = models.DecimalField(max_digits=4, decimal_places=2)
    credit_type = models.CharField(max_length=20, choices=CreditType.choices)
    provider_name = models.CharField(max_length=200)
    accreditation_statement = models.TextField()
    designation_statement = models.TextField()
    issued_at = models.DateTimeField()
    pdf = models.FileField(upload_to="certificates/", blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    # Rendering the PDF (credits.certificates): tries so far for this revision, the last error in a
    # few words (for coordinators, never a traceback), and when the next automatic try is due (None:
    # rendered, or retries given up until `manage.py repair_certificates`). "rendered" with no file
    # is a PDF removed on purpose (accounts.deletion anonymises expired records): never re-rendered.
    render_state = models.CharField(max_length=10, choices=RenderState.choices, default=RenderState.PENDING)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    render_error = models.CharField(max_length=200, blank=True)
    render_next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificate")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="revoked") | models.Q(revoked_at__isnull=False),
                name="certificate_revoked_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} (rev. {self.revision})"

    def delete(self, *args, **kwargs):
        raise TypeError("Certificates are never deleted.")

    @property
    def pdf_is_late(self) -> bool:
        """No PDF yet and either a try failed or it is overdue: say so instead of "being prepared"."""
        if self.pdf or self.status == self.Status.REVOKED:
            return False
        if self.render_state == self.RenderState.FAILED:
            return True
        overdue = self.issued_at < timezone.now() - datetime.timedelta(minutes=RENDER_OVERDUE_MINUTES)
        return self.render_state == self.RenderState.PENDING and overdue


class CertificateRevision(_AppendOnly):
    """An earlier revision of a certificate, as it was printed, kept when a correction re-issues it."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="revisions")
    revision = models.PositiveSmallIntegerField()
    fields = models.JSONField(help_text=_("Every printed field of that revision."))
    pdf = models.FileField(upload_to="certificates/revisions/", blank=True)
    replaced_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["certificate", "revision"]
        verbose_name = _("certificate revision")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "revision"], name="certificate_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.certificate} rev. {self.revision}"


class CorrectionRequest(models.Model):
    """A learner asks for a corrected certificate (e.g. their name); a coordinator approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the provider")
        APPROVED = "approved", _("Approved — re-issued")
        REJECTED = "rejected", _("Declined")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="correction_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    learner_name = models.CharField(_("name as it should be printed"), max_length=400)
    degree = models.CharField(_("degree as it should be printed"), max_length=40)
    message = models.TextField(_("what is wrong"), max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("correction request")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate"], condition=models.Q(status="pending"), name="correction_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate}: {self.get_status_display()}"


class ExternalCreditType(models.TextChoices):
    AMA_PRA_1 = "ama_pra_1", _("AMA PRA Category 1 Credit™")
    AMA_PRA_2 = "ama_pra_2", _("AMA PRA Category 2 Credit™")
    AAFP = "aafp", _("AAFP Prescribed credit")
    AOA_1A = "aoa_1a", _("AOA Category 1-A")
    AAPA_1 = "aapa_1", _("AAPA Category 1 CME")
    ANCC = "ancc", _("Nursing contact hours (ANCC)")
    ACPE = "acpe", _("Pharmacy CE (ACPE)")
    MOC = "moc", _("MOC points")
    PARTICIPATION = "participation", _("Certificate of participation")
    OTHER = "other", _("Other")


def _external_certificate_path(instance, filename: str) -> str:
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"external-credits/{instance.learner_id}/{uuid.uuid4().hex}.{ext}"


class ExternalCredit(models.Model):
    """Credit the learner earned elsewhere and reports themselves, so one transcript covers it all."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_credits"
    )
    title = models.CharField(_("activity title"), max_length=255)
    provider_name = models.CharField(_("provider"), max_length=200)
    completed_on = models.DateField(_("completion date"))
    credits = models.DecimalField(_("credits or hours"), max_digits=5, decimal_places=2)
    credit_type = models.CharField(_("credit type"), max_length=20, choices=ExternalCreditType.choices)
    mandate_topics = models.ManyToManyField(MandateTopic, blank=True, related_name="+")
    certificate_file = models.FileField(
        _("certificate (PDF or image)"), upload_to=_external_certificate_path, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("self-reported credit")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credits__gt=0, credits__lte=Decimal("500")),
                name="external_credit_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.credits})"
