"""Spaced follow-up after a claim (issue 18, items 1-3): the questions and schedule a coordinator
chooses per activity, the follow-ups each opted-in learner is sent (knowledge at 7, 30 and 90 days;
practice change at 60-90 days), and the answers, scored and kept per learner and interval.

Answers are records: never deleted, never changed (a follow-up is answered once). A follow-up keeps
the question text and options as sent, so a later edit of the plan does not change what was asked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from credits.models import Activity, CreditClaim, Question

DEFAULT_INTERVALS = [7, 30, 90]


def default_intervals() -> list[int]:
    return list(DEFAULT_INTERVALS)


class FollowUpPlan(models.Model):
    """An activity's follow-up: on or off, the knowledge intervals (days after the claim) and the
    day the practice-change question is asked (60-90 days after the claim)."""

    activity = models.OneToOneField(Activity, on_delete=models.PROTECT, related_name="follow_up_plan")
    enabled = models.BooleanField(_("send follow-ups"), default=True)
    intervals_days = models.JSONField(_("days after the claim"), default=default_intervals)
    practice_change_days = models.PositiveSmallIntegerField(
        _("practice-change question, days after the claim"), default=60
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("follow-up plan")
        constraints = [
            models.CheckConstraint(
                condition=Q(practice_change_days__gte=60, practice_change_days__lte=90),
                name="follow_up_plan_practice_change_60_90",
            )
        ]

    def __str__(self) -> str:
        return f"Follow-up: {self.activity}"


class FollowUpQuestion(models.Model):
    """One question of the plan: a post-test question reused (``source`` set: the claim's attempt is
    its baseline) or one written for the follow-up (no baseline). ``options`` is
    ``[{"id": 1, "text": "...", "correct": true}, ...]`` with exactly one correct option."""

    plan = models.ForeignKey(FollowUpPlan, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    source = models.ForeignKey(
        Question, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text=_("The post-test question this repeats (its answer at the claim is the baseline)."),
    )  # fmt: skip
    # The id of the post-test question repeated, kept when the post-test is replaced (credits'
    # quiz_replace deletes its questions, which empties ``source``): the key of the baseline in the
    # claims' attempts, so answers already collected keep their paired baseline in the report.
    baseline_question_id = models.PositiveIntegerField(null=True, blank=True, editable=False)
    text = models.TextField(_("question"))
    options = models.JSONField(default=list)
    rationale = models.TextField(_("rationale"), blank=True)
    active = models.BooleanField(default=True, help_text=_("Removed questions stay for the report."))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("follow-up question")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "source"],
                condition=Q(source__isnull=False),
                name="follow_up_question_source_once",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def save(self, *args, **kwargs):
        if self.baseline_question_id is None and self.source_id is not None:
            self.baseline_question_id = self.source_id
        super().save(*args, **kwargs)


class FollowUpConsent(models.Model):
    """A learner's standing choice to receive follow-ups (one row per learner; absent = not opted in)."""

    learner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_up_consent"
    )
    opted_in = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up consent")

    def __str__(self) -> str:
        return f"{self.learner}: {'in' if self.opted_in else 'out'}"


class FollowUpKind(models.TextChoices):
    KNOWLEDGE = "knowledge", _("Knowledge check")
    PRACTICE = "practice", _("Practice change")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired unanswered")
    CANCELLED = "cancelled", _("Cancelled")  # opt-out, claim revoked, plan turned off


class FollowUp(models.Model):
    """One follow-up for one claim: a knowledge check at ``interval_days`` or the practice-change
    question. ``questions`` holds what was asked, as sent: ``[{"id": q, "text": ..., "options":
    [{"id": o, "text": ...}]}]`` (correct answers are looked up at scoring from the FollowUpQuestion).
    ``nonce`` is in the signed one-tap link; answering spends the link (status leaves SENT)."""

    claim = models.ForeignKey(CreditClaim, on_delete=models.PROTECT, related_name="follow_ups")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="follow_ups")
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=10, choices=FollowUpKind.choices)
    interval_days = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED)
    nonce = models.CharField(max_length=32, unique=True)
    questions = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text=_("Percent (knowledge)."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("follow-up")
        indexes = [models.Index(fields=["status", "due_at"], name="follow_up_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "kind", "interval_days"], name="follow_up_one_per_interval"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in FollowUpStatus]), name="follow_up_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in FollowUpKind]), name="follow_up_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=FollowUpStatus.ANSWERED) | Q(answered_at__isnull=False),
                name="follow_up_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} — {self.activity} ({self.kind}, day {self.interval_days})"


class FollowUpAnswer(models.Model):
    """A learner's answer to one knowledge question of one follow-up (append-only)."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="answers")
    question = models.ForeignKey(FollowUpQuestion, on_delete=models.PROTECT, related_name="answers")
    chosen_option = models.PositiveSmallIntegerField()
    correct = models.BooleanField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up answer")
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "question"], name="follow_up_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up}: {self.question_id} → {self.chosen_option}"

    def delete(self, *args, **kwargs):
        raise TypeError("Follow-up answers are never deleted.")


class PracticeChange(models.TextChoices):
    YES = "yes", _("Yes, I changed it")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No, not yet")
    NOT_APPLICABLE = "na", _("It did not apply to my patients")


class Barrier(models.TextChoices):
    TIME = "time", _("Lack of time")
    COST = "cost", _("Cost or coverage")
    SYSTEM = "system", _("Institutional or system constraints")
    PATIENTS = "patients", _("Patient preferences or adherence")
    EVIDENCE = "evidence", _("I was not convinced by the evidence")
    COLLEAGUES = "colleagues", _("Colleagues or team not on board")
    OTHER = "other", _("Something else")


class PracticeChangeAnswer(models.Model):
    """The answer to a practice-change follow-up (append-only): did the learner change what they said
    they would, and what got in the way."""

    follow_up = models.OneToOneField(FollowUp, on_delete=models.PROTECT, related_name="practice_answer")
    intended_change = models.TextField(
        blank=True, help_text=_("The evaluation's 'What will you change?' as asked.")
    )
    changed = models.CharField(max_length=10, choices=PracticeChange.choices)
    barriers = models.JSONField(default=list, blank=True)
    barrier_other = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("practice-change answer")
        constraints = [
            models.CheckConstraint(
                condition=Q(changed__in=[c.value for c in PracticeChange]), name="practice_change_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up}: {self.changed}"

    def delete(self, *args, **kwargs):
        raise TypeError("Practice-change answers are never deleted.")
