"""CME activities (enduring materials) and their post-test questions."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from ..calendar_years import add_years
from .providers import AccreditationType, Provider
from .quarters import _with_quarter_steps


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


DEFAULT_REQUIREMENTS = (
    "Any podcast app, or a current web browser with audio, to listen; a web browser (on a phone or a "
    "computer) with JavaScript for the post-test, the evaluation and the certificate (PDF)."
)


class ActivityQuerySet(models.QuerySet):
    def claimable(self, today: datetime.date | None = None) -> "ActivityQuerySet":
        today = today or timezone.localdate()
        return self.filter(status="published", release_date__lte=today, expiry_date__gte=today)

    def published(self) -> "ActivityQuerySet":
        return self.filter(status="published")


class Activity(models.Model):
    """An enduring-material CME activity: one episode, owned by one accredited provider.

    This row is the coordinators' working copy. What learners see is frozen in ActivityVersion.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

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
    designation_reason = models.TextField(
        _("reason for a designation above the time needed"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Needed only when the designated credits exceed the audio plus the post-test and evaluation "
            "time (e.g. a pilot test measured longer)."
        ),
    )
    providership = models.CharField(
        _("providership"),
        max_length=10,
        choices=AccreditationType.choices,
        default=AccreditationType.DIRECT,
        help_text=_("Joint providership: planned with a non-accredited organization (ACCME wording)."),
    )
    joint_provider_name = models.CharField(
        _("joint provider"),
        max_length=200,
        blank=True,
        help_text=_("The non-accredited organization, for joint providership only."),
    )
    medium = models.CharField(_("medium"), max_length=100, default="Audio podcast")
    references = models.TextField(
        _("bibliography"),
        blank=True,
        max_length=10000,
        help_text=_("The sources the content cites, one per line (a link, DOI or citation)."),
    )
    requirements = models.TextField(
        _("hardware and software needed"),
        max_length=1000,
        default=DEFAULT_REQUIREMENTS,
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
    # The lifecycle (credits/versions.py): a draft is seen by its coordinators only; publishing checks
    # that everything ACCME asks to show is there and freezes it in a version; withdrawn or expired
    # ("closed") takes no new learners. Learners see ``current_version``, never this editable row.
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    current_version = models.ForeignKey(
        "credits.ActivityVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("What learners are shown now; each learner's records point to the version they saw."),
    )
    # ACCME PARS reporting (credits/pars.py, docs/pars.md): entered by the coordinator, not shown to
    # learners and not part of a version (entering the PARS id never makes a new version).
    pars_activity_id = models.CharField(
        _("PARS activity ID"),
        max_length=12,
        blank=True,
        help_text=_("The number PARS gave the activity once you registered it there (digits only)."),
    )
    pars_description = models.TextField(
        _("PARS activity description"),
        max_length=2000,
        blank=True,
        help_text=_("Reported to PARS (and CME Finder). Empty: the learning objectives are reported."),
    )
    pars_cme_finder = models.BooleanField(_("list in CME Finder"), default=False)
    # CE Broker (credits/cebroker.py): the course as registered with CE Broker; like the PARS id, not
    # shown to learners and not part of a version.
    cebroker_course_number = models.CharField(
        _("CE Broker course tracking number"),
        max_length=12,
        blank=True,
        help_text=_('Digits only, without the "20-" CE Broker prints in front of it.'),
    )
    cebroker_subject_area = models.CharField(
        _("CE Broker subject area code"),
        max_length=20,
        blank=True,
        help_text=_("Needed only for learners who earned partial credit (CE Broker's subject area codes)."),
    )
    pars_outcome_measures = models.JSONField(
        _("PARS outcome measures"), default=list, blank=True, help_text=_("What the activity measured.")
    )
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=500, blank=True)
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
            models.CheckConstraint(
                condition=models.Q(providership="direct") | ~models.Q(joint_provider_name=""),
                name="activity_joint_needs_partner",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(current_version__isnull=False),
                name="activity_published_has_version",
            ),
            models.UniqueConstraint(
                fields=["provider", "pars_activity_id"],
                condition=~models.Q(pars_activity_id=""),
                name="activity_pars_id_unique_per_provider",
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
                ) % {"limit": date_format(limit, "DATE_FORMAT")}
            if self.expiry_date < self.release_date:
                errors["expiry_date"] = _("The expiry date is before the release date.")
        if self.last_review_date and self.release_date and self.last_review_date < self.release_date:
            errors["last_review_date"] = _("The last review cannot be before the release.")
        if self.last_review_date and self.last_review_date > timezone.localdate():
            errors["last_review_date"] = _("The date of last review cannot be in the future.")
        if self.providership == AccreditationType.JOINT and not self.joint_provider_name.strip():
            errors["joint_provider_name"] = _("Joint providership needs the joint provider's name.")
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
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_withdrawn(self) -> bool:
        return self.status == self.Status.WITHDRAWN

    @property
    def references_list(self) -> list[str]:
        return [line.strip() for line in self.references.splitlines() if line.strip()]

    @property
    def objectives_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.objectives.splitlines() if line.strip(" -•\t")]


class CreditKind(models.TextChoices):
    """Credit types an activity may offer besides AMA PRA Category 1 Credit™ (which every activity
    offers: ``Activity.designated_credits``). Who may claim which: credits/credit_types.py."""

    ANCC = "ancc", _("ANCC nursing contact hours")
    ACPE = "acpe", _("ACPE pharmacy CE contact hours")
    AAPA = "aapa", _("AAPA Category 1 CME credits")
    IPCE = "ipce", _("IPCE credits")


class AcpeActivityType(models.TextChoices):
    KNOWLEDGE = "K", _("Knowledge-based")
    APPLICATION = "A", _("Application-based")


class ActivityCredit(models.Model):
    """One further credit type an activity offers, with its own designated amount (and, for ACPE,
    the Universal Activity Number and activity type). Frozen in each version (content "credits")."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="other_credits")
    kind = models.CharField(_("credit type"), max_length=8, choices=CreditKind.choices)
    amount = models.DecimalField(
        _("designated amount"),
        max_digits=4,
        decimal_places=2,
        help_text=_("Hours (contact hours or credits): a multiple of 0.25, at least 0.25."),
    )
    uan = models.CharField(
        _("Universal Activity Number (UAN)"),
        max_length=32,
        blank=True,
        help_text=_("ACPE only, e.g. JA0000123-0000-26-001-H01-P."),
    )
    acpe_activity_type = models.CharField(
        _("ACPE activity type"), max_length=1, choices=AcpeActivityType.choices, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["activity", "kind"]
        verbose_name = _("further credit type")
        constraints = [
            models.UniqueConstraint(fields=["activity", "kind"], name="activity_credit_one_per_kind"),
            models.CheckConstraint(
                condition=_with_quarter_steps(models.Q(amount__gte=Decimal("0.25")), "amount"),
                name="activity_credit_quarter_steps",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="acpe") | (~models.Q(uan="") & ~models.Q(acpe_activity_type="")),
                name="activity_credit_acpe_has_uan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity}: {self.amount} {self.get_kind_display()}"


class CommercialSupport(models.Model):
    """A commercial supporter of an activity (ACCME Standard 4): who, monetary or in kind, how much,
    and when the written agreement was signed (before the activity). Learners are told all of it."""

    class Kind(models.TextChoices):
        MONETARY = "monetary", _("Monetary")
        IN_KIND = "in_kind", _("In kind")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="commercial_supports")
    supporter = models.CharField(_("supporter (ineligible company)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount (USD)"), max_digits=10, decimal_places=2, null=True, blank=True,
        help_text=_("For monetary support."),
    )  # fmt: skip
    in_kind_description = models.CharField(
        _("what was given"), max_length=300, blank=True, help_text=_("For in-kind support (e.g. devices).")
    )
    agreement_signed_on = models.DateField(
        _("written agreement signed on"), null=True, blank=True,
        help_text=_("The agreement must be signed before the activity is released."),
    )  # fmt: skip
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("commercial support")
        verbose_name_plural = _("commercial support")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gt=0),
                name="commercial_support_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.supporter} ({self.get_kind_display()})"

    def clean(self):
        errors: dict[str, Any] = {}
        if self.kind == self.Kind.MONETARY and self.amount is None:
            errors["amount"] = _("Give the amount of monetary support.")
        if self.kind == self.Kind.IN_KIND and not self.in_kind_description.strip():
            errors["in_kind_description"] = _("Say what was given in kind.")
        if errors:
            raise ValidationError(errors)


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
