"""CME activities (enduring materials) and their post-test questions."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..calendar_years import add_years
from .providers import Provider
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
