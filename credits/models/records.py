"""The learner's records: post-test attempts, evaluations, claims, completions, listening progress."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .activities import Activity, CreditKind
from .quarters import _with_quarter_steps


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
    version = models.ForeignKey(
        "credits.ActivityVersion", on_delete=models.PROTECT, related_name="+",
        help_text=_("The version of the activity the learner saw."),
    )  # fmt: skip
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
    version = models.ForeignKey(
        "credits.ActivityVersion", on_delete=models.PROTECT, related_name="+",
        help_text=_("The version of the activity the learner saw."),
    )  # fmt: skip
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
    version = models.ForeignKey(
        "credits.ActivityVersion", on_delete=models.PROTECT, related_name="+",
        help_text=_("The version of the activity the learner saw."),
    )  # fmt: skip
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


class ClaimedCredit(_AppendOnly):
    """A further credit type (ANCC, ACPE, AAPA, IPCE) awarded with a claim: the amount claimed, capped
    at that type's designation in the learner's version. Written with the claim, never changed."""

    claim = models.ForeignKey(CreditClaim, on_delete=models.PROTECT, related_name="other_credits")
    kind = models.CharField(_("credit type"), max_length=8, choices=CreditKind.choices)
    amount = models.DecimalField(_("amount claimed"), max_digits=4, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "kind"]
        verbose_name = _("further credit claimed")
        constraints = [
            models.UniqueConstraint(fields=["claim", "kind"], name="claimed_credit_one_per_kind"),
            models.CheckConstraint(
                condition=_with_quarter_steps(models.Q(amount__gte=Decimal("0.25")), "amount"),
                name="claimed_credit_quarter_steps",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim}: {self.amount} {self.get_kind_display()}"


class CompletionRecord(_AppendOnly):
    """The append-only record of a completion, as a provider reports it; never changed or deleted."""

    claim = models.OneToOneField(CreditClaim, on_delete=models.PROTECT, related_name="completion")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="completions")
    version = models.ForeignKey(
        "credits.ActivityVersion", on_delete=models.PROTECT, related_name="+",
        help_text=_("The version of the activity the learner saw."),
    )  # fmt: skip
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
