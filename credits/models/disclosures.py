"""People in control of an activity's content and their disclosures (ACCME Standard 3, issue 12).

- ``ProviderPerson``: someone the provider knows (faculty, planners, reviewers); one row per person,
  whatever the number of activities.
- ``DisclosureRequest``: a signed, expiring, single-person link sent by email; only the SHA-256 of
  its token is stored.
- ``DisclosureForm`` with its ``FinancialRelationship`` rows: what the person declared (Standard
  3.1): every financial relationship with an ineligible company in the past 24 months, or none,
  whether they own or work for one, and the promise to report changes. Valid 12 months.
- ``ContentPerson``: the person's role on one activity (with a Standard 3.2 exception when they own
  or work for an ineligible company); removing it sets ``removed_at`` (nothing is deleted).
- ``RelevanceDecision``: the coordinator's decision on one relationship for one activity, and its
  mitigation (Standards 3.3-3.4).
- ``SpeakerMatch``: an episode speaker (podcast:person) matched to a person in control of content,
  or recorded as not in control of content.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .activities import Activity
from .providers import Provider


class Nature(models.TextChoices):
    """The nature of a financial relationship, as learners are told it."""

    CONSULTANT = "consultant", _("Consultant")
    SPEAKER = "speaker", _("Speakers' bureau")
    ADVISORY = "advisory", _("Advisory board")
    RESEARCH = "research", _("Research grant (to institution or self)")
    STOCK = "stock", _("Stock or ownership interest")
    EMPLOYEE = "employee", _("Employee")
    ROYALTIES = "royalties", _("Royalties or patent")
    OTHER = "other", _("Other")


class ProviderPerson(models.Model):
    """Someone the provider knows who may control content (provider-scoped: no account needed)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="known_people")
    name = models.CharField(_("name"), max_length=128)
    credentials = models.CharField(_("credentials"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("known person")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "provider",
                condition=~models.Q(email=""),
                name="provider_person_unique_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class DisclosureRequest(models.Model):
    """A link to the self-service disclosure form, sent by email to one person."""

    person = models.ForeignKey(ProviderPerson, on_delete=models.PROTECT, related_name="disclosure_requests")
    # The activity the request was sent for (named in the email); the form serves every activity.
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 hex: the token is never stored
    sent_to = models.EmailField(_("sent to"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("answered"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("disclosure request")

    def __str__(self) -> str:
        return f"{self.person} ({self.created_at:%Y-%m-%d})"

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class DisclosureForm(models.Model):
    """One completed disclosure (ACCME Standard 3.1); reusable for 12 months from ``collected_on``."""

    class Source(models.TextChoices):
        SELF = "self", _("Completed by the person through the emailed link")
        COORDINATOR = "coordinator", _("Entered by a coordinator from the person's signed form")
        BEFORE_COLLECTION = "before_collection", _("Entered by the coordinator before collection existed")

    person = models.ForeignKey(ProviderPerson, on_delete=models.PROTECT, related_name="disclosure_forms")
    request = models.OneToOneField(
        DisclosureRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="form"
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # None only for forms entered before collection existed: they need a fresh form.
    collected_on = models.DateField(_("date collected"), null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    no_relationships = models.BooleanField(
        _("no financial relationships with ineligible companies in the past 24 months"), default=False
    )
    owner_or_employee = models.BooleanField(_("owner or employee of an ineligible company"), default=False)
    owner_or_employee_company = models.CharField(_("that company"), max_length=200, blank=True)
    attests_complete = models.BooleanField(_("attests the list is complete"), default=False)
    promises_to_report_changes = models.BooleanField(_("promises to report changes"), default=False)
    signed_name = models.CharField(_("signed (typed name)"), max_length=128, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("disclosure form")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source="before_collection") | models.Q(collected_on__isnull=False),
                name="disclosure_form_collected_on_required",
            )
        ]

    def __str__(self) -> str:
        when = self.collected_on.isoformat() if self.collected_on else _("not collected")
        return f"{self.person} ({when})"


class FinancialRelationship(models.Model):
    """One financial relationship with an ineligible company declared on a form (prior 24 months)."""

    form = models.ForeignKey(DisclosureForm, on_delete=models.PROTECT, related_name="relationships")
    company = models.CharField(_("ineligible company"), max_length=200)
    nature = models.CharField(_("nature of relationship"), max_length=20, choices=Nature.choices)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    ongoing = models.BooleanField(_("ongoing"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["form", "position", "id"]
        verbose_name = _("financial relationship")

    def __str__(self) -> str:
        return f"{self.company} ({self.get_nature_display()})"


class ContentPerson(models.Model):
    """A known person in control of one activity's content, in a role. Removal keeps the row."""

    class Role(models.TextChoices):
        FACULTY = "faculty", _("Faculty")
        PLANNER = "planner", _("Planner")
        REVIEWER = "reviewer", _("Reviewer")

    class OwnerException(models.TextChoices):
        """ACCME Standard 3.2: when an owner or employee of an ineligible company may control content."""

        NONE = "", _("None")
        UNRELATED = (
            "unrelated",
            _("The content is not related to the business lines or products of their company"),
        )
        TECHNICAL = (
            "technical",
            _(
                "The content is limited to basic science research or the technical use of a device, "
                "with no care recommendations"
            ),
        )
        RESEARCH = (
            "research",
            _(
                "They present research methods or results not about their company's products, with no care "
                "recommendations"
            ),
        )

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(ProviderPerson, on_delete=models.PROTECT, related_name="activity_roles")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.FACULTY)
    position = models.PositiveSmallIntegerField(default=0)
    exception = models.CharField(
        _("exception (owner or employee of an ineligible company)"),
        max_length=12,
        choices=OwnerException.choices,
        blank=True,
    )
    exception_note = models.TextField(_("why the exception applies"), blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("person in control of content")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=models.Q(removed_at__isnull=True),
                name="content_person_once_per_activity",
            ),
            models.CheckConstraint(
                condition=models.Q(exception="") | ~models.Q(exception_note=""),
                name="content_person_exception_has_note",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person)

    @property
    def name(self) -> str:
        return self.person.name

    @property
    def credentials(self) -> str:
        return self.person.credentials


class RelevanceDecision(models.Model):
    """Whether one relationship is relevant to one activity's content and, if so, how it was mitigated."""

    class Mitigation(models.TextChoices):
        PEER_REVIEW = "peer_review", _("Independent peer review of the content")
        ROLE_CHANGE = "role_change", _("Role changed or limited (e.g. to non-clinical content)")
        DIVESTMENT = "divestment", _("Relationship ended or divested")
        EVIDENCE = "evidence", _("Attestation that recommendations are evidence-based")
        OTHER = "other", _("Other (described)")
        BEFORE_COLLECTION = (
            "before_collection",
            _("Recorded before issue 12 (mitigated; method not recorded)"),
        )

    content_person = models.ForeignKey(ContentPerson, on_delete=models.PROTECT, related_name="decisions")
    relationship = models.ForeignKey(
        FinancialRelationship, on_delete=models.PROTECT, related_name="decisions"
    )
    relevant = models.BooleanField(_("relevant to the content"))
    reason = models.TextField(_("reason"), blank=True)
    mitigation = models.CharField(_("mitigation"), max_length=20, choices=Mitigation.choices, blank=True)
    mitigation_note = models.TextField(_("how it was mitigated"), blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    mitigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["content_person", "relationship"]
        verbose_name = _("relevance decision")
        constraints = [
            models.UniqueConstraint(
                fields=["content_person", "relationship"], name="relevance_decision_once_per_relationship"
            ),
            models.CheckConstraint(
                condition=models.Q(relevant=True) | models.Q(mitigation=""),
                name="relevance_decision_mitigation_only_if_relevant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relationship}: {'relevant' if self.relevant else 'not relevant'}"


class SpeakerMatch(models.Model):
    """An episode speaker (podcast:person, by name) matched to a person in control of content, or
    recorded as not in control of content (with the reason)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="speaker_matches")
    # By name: the episode's podcast:person rows are replaced whenever the episode's people change.
    speaker_name = models.CharField(_("speaker"), max_length=128)
    content_person = models.ForeignKey(
        ContentPerson, on_delete=models.PROTECT, null=True, blank=True, related_name="speaker_matches"
    )
    not_in_control_reason = models.TextField(_("why not in control of content"), blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["activity", "speaker_name"]
        verbose_name = _("speaker match")
        constraints = [
            models.UniqueConstraint(fields=["activity", "speaker_name"], name="speaker_match_once"),
            models.CheckConstraint(
                condition=(
                    models.Q(content_person__isnull=False, not_in_control_reason="")
                    | (models.Q(content_person__isnull=True) & ~models.Q(not_in_control_reason=""))
                ),
                name="speaker_match_person_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.speaker_name
