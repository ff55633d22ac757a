"""Activity versions: everything a learner is shown before starting, frozen (credits/versions.py)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .activities import Activity
from .quarters import _with_quarter_steps


class VersionQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError("Activity versions are never deleted.")


class ActivityVersion(models.Model):
    """What learners were shown, as they were shown it: title, objectives, statements, designation,
    dates, people with their relevant relationships and mitigation, commercial support, joint
    provider, medium, references.

    Each attempt, evaluation, claim, completion and certificate points to the version its learner
    saw. A version nobody has started yet may be replaced in place (audited); once a learner has
    started it, an edit creates the next version. The columns repeat the content fields that
    queries and rules need (designation, dates, scoring); ``content`` holds the rest.
    """

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(_("title"), max_length=255)
    designated_credits = models.DecimalField(_("designated credits"), max_digits=4, decimal_places=2)
    release_date = models.DateField(_("release date"))
    last_review_date = models.DateField(_("date of last review"), null=True, blank=True)
    expiry_date = models.DateField(_("expiration date"))
    passing_score = models.PositiveSmallIntegerField(_("passing score (%)"))
    max_attempts = models.PositiveSmallIntegerField(_("maximum attempts"))
    # The whole page as shown (see credits.versions.version_content for its keys).
    content = models.JSONField(default=dict)
    # The same information as HTML for podcast apps' show notes (feeds carry it: ACCME Standard 3.5
    # wants disclosures transmitted, not only linked).
    listener_notes_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("why this version"), max_length=500, blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "number"]
        verbose_name = _("activity version")
        constraints = [
            models.UniqueConstraint(fields=["activity", "number"], name="activity_version_unique_number"),
            models.CheckConstraint(
                condition=_with_quarter_steps(
                    models.Q(designated_credits__gte=Decimal("0.25")), "designated_credits"
                ),
                name="activity_version_credits_quarter_steps",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    def delete(self, *args, **kwargs):
        raise TypeError("Activity versions are never deleted.")

    @property
    def estimated_minutes(self) -> int:
        return int(self.designated_credits * 60)
