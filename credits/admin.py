"""Admin: providers and coordinators are set up here (each save audited, credits/providers.py); every
CME record (activities, people and disclosures, post-tests, attempts, claims, certificates, grants)
is read-only, with a note saying which page changes it (issue 12: the admin is not a back door)."""

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin_readonly import ReadOnlyInline
from audit.admin_readonly import ReadOnlyRecordAdmin as BaseReadOnlyRecordAdmin
from episodes.admin import URL_FIELDS_ASSUME_HTTPS
from episodes.admin_widgets import KeySafeAutocompleteMixin

from .models import (
    Activity,
    ActivityCredit,
    ActivityVersion,
    Attempt,
    Certificate,
    CertificateRevision,
    ClaimedCredit,
    ClinicianVerification,
    CommercialSupport,
    CompletionRecord,
    ContentPerson,
    CorrectionRequest,
    CpeMonitorBatch,
    CpeMonitorReport,
    CreditClaim,
    DisclosureForm,
    DisclosureRequest,
    Evaluation,
    FinancialRelationship,
    ListeningProgress,
    MandateTopic,
    MocOptIn,
    MocRegistration,
    Option,
    ParsLearnerBatch,
    ParsLearnerReport,
    Provider,
    ProviderCoordinator,
    ProviderPerson,
    Question,
    RelevanceDecision,
    ShowProviderGrant,
    SpeakerMatch,
)
from .providers import coordinator_add, coordinator_remove, provider_save, provider_snapshot

COORDINATOR_PAGES = _(
    "Read-only here: activities, their people and disclosures and their post-tests change on the "
    "coordinator's activity pages (Coordinator → the activity), which keep what each learner saw "
    "and write the audit trail."
)
LEARNER_RECORDS = _(
    "Read-only here: learners' attempts, evaluations, claims and completions are written only as they "
    "take part; a certificate is corrected, re-issued or revoked on the coordinator's certificate pages."
)


class ReadOnlyRecordAdmin(BaseReadOnlyRecordAdmin):
    """A record that only the services change, each change with its audit row: the admin shows it,
    says where it is changed, and adds, changes and deletes nothing (audit.admin_readonly)."""

    where_to_change: Any = COORDINATOR_PAGES


class ProviderCoordinatorInline(KeySafeAutocompleteMixin, admin.TabularInline):
    """Coordinators are added and removed (each audited); a membership is never re-pointed."""

    model = ProviderCoordinator
    extra = 0
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        return False


def _save_memberships(request, formset) -> None:
    """The coordinator rows of an admin form, saved one by one through the audited services."""
    memberships = formset.save(commit=False)
    for membership in formset.deleted_objects:
        coordinator_remove(actor=request.user, membership=membership)
    for membership in memberships:
        coordinator_add(actor=request.user, membership=membership)


ACCREDITATION_FIELDS = [
    "joint_accreditation",
    "ancc_accredited",
    "acpe_accredited",
    "aapa_authorized",
    "acpe_provider_number",
]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """The one place a provider is created or edited: each save writes an audit row with the old and
    new values (credits/providers.py); a provider is never deleted (its records point at it)."""

    list_display = ["name", "contact_email", "time_zone", "created_at"]
    search_fields = ["name"]
    inlines = [ProviderCoordinatorInline]
    actions = None
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The slug is in the provider's addresses (PARS exports, shows): fixed once created. The
        # accreditations change on the coordinator's Accreditations page only, which refuses a change
        # that would make a published activity's credit types wrong and refreshes their versions
        # (credits/credit_type_services.py accreditations_save).
        if obj is None:
            return ["created_at"]
        return ["slug", "created_at", *ACCREDITATION_FIELDS]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        old = provider_snapshot(Provider.objects.get(pk=obj.pk)) if change else None
        provider_save(actor=request.user, provider=obj, old=old)

    def save_formset(self, request, form, formset, change):
        _save_memberships(request, formset)


@admin.register(ProviderCoordinator)
class ProviderCoordinatorAdmin(KeySafeAutocompleteMixin, admin.ModelAdmin):
    """Added and removed here or on the provider's page, each audited; never re-pointed."""

    list_display = ["user", "provider", "created_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "provider__name"]
    autocomplete_fields = ["user", "provider"]
    actions = None  # a bulk delete would bypass the audited removal

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        coordinator_add(actor=request.user, membership=obj)

    def delete_model(self, request, obj):
        coordinator_remove(actor=request.user, membership=obj)


@admin.register(MandateTopic)
class MandateTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ContentPersonInline(ReadOnlyInline):
    model = ContentPerson


class CommercialSupportInline(ReadOnlyInline):
    model = CommercialSupport


class ActivityCreditInline(ReadOnlyInline):
    """Changed on the coordinator's credit types page only (credits/credit_type_services.py)."""

    model = ActivityCredit


class ClaimedCreditInline(ReadOnlyInline):
    model = ClaimedCredit


@admin.register(Activity)
class ActivityAdmin(ReadOnlyRecordAdmin):
    list_display = ["title", "provider", "designated_credits", "release_date", "expiry_date", "passing_score"]
    list_filter = ["provider", "reveal_answers", "mandate_topics"]
    search_fields = ["title", "episode__title", "provider__name"]
    date_hierarchy = "release_date"
    list_select_related = ["provider"]
    inlines = [ContentPersonInline, CommercialSupportInline, ActivityCreditInline]


@admin.register(ActivityVersion)
class ActivityVersionAdmin(ReadOnlyRecordAdmin):
    """What learners were shown, frozen (credits/versions.py): never edited, never deleted."""

    list_display = ["activity", "number", "title", "designated_credits", "release_date", "created_at"]
    search_fields = ["title", "activity__title"]
    list_select_related = ["activity"]


@admin.register(CommercialSupport)
class CommercialSupportAdmin(ReadOnlyRecordAdmin):
    list_display = ["activity", "supporter", "kind", "amount", "agreement_signed_on"]
    search_fields = ["supporter", "activity__title"]
    list_select_related = ["activity"]


@admin.register(MocRegistration)
class MocRegistrationAdmin(ReadOnlyRecordAdmin):
    """Changed on the coordinator's MOC page only (credits/moc.py: audited, versioned)."""

    list_display = ["activity", "board", "credit_type", "points", "created_at"]
    list_filter = ["board"]
    search_fields = ["activity__title"]
    list_select_related = ["activity"]


@admin.register(MocOptIn)
class MocOptInAdmin(ReadOnlyRecordAdmin):
    """Learners' consents to report a completion to a board, stored with the claim (append-only)."""

    list_display = ["claim", "board", "board_id", "credit_type", "points", "consented_at"]
    list_filter = ["board"]
    list_select_related = ["claim"]


@admin.register(ParsLearnerBatch)
class ParsLearnerBatchAdmin(ReadOnlyRecordAdmin):
    """Learner batches recorded as sent to PARS (credits/moc.py), with their rows as sent."""

    list_display = ["provider", "created_at", "created_by", "start", "end"]
    list_filter = ["provider"]
    list_select_related = ["provider", "created_by"]


@admin.register(ParsLearnerReport)
class ParsLearnerReportAdmin(ReadOnlyRecordAdmin):
    list_display = ["batch", "certificate", "action"]
    list_filter = ["action"]
    list_select_related = ["batch", "certificate"]


@admin.register(CpeMonitorBatch)
class CpeMonitorBatchAdmin(ReadOnlyRecordAdmin):
    """CPE Monitor files and corrections made by hand, as recorded (credits/cpe_monitor.py)."""

    list_display = ["provider", "kind", "created_at", "created_by"]
    list_filter = ["provider", "kind"]
    list_select_related = ["provider", "created_by"]


@admin.register(CpeMonitorReport)
class CpeMonitorReportAdmin(ReadOnlyRecordAdmin):
    list_display = ["batch", "certificate", "action"]
    list_filter = ["action"]
    list_select_related = ["batch", "certificate"]


class RelevanceDecisionInline(ReadOnlyInline):
    model = RelevanceDecision
    fk_name = "content_person"


@admin.register(ContentPerson)
class ContentPersonAdmin(ReadOnlyRecordAdmin):
    list_display = ["person", "role", "activity", "exception", "removed_at"]
    list_filter = ["role"]
    search_fields = ["person__name", "activity__title"]
    list_select_related = ["person", "activity"]
    inlines = [RelevanceDecisionInline]


# Disclosure collection (credits/disclosure_services.py): known people, requests, forms, decisions.
@admin.register(ProviderPerson)
class ProviderPersonAdmin(ReadOnlyRecordAdmin):
    list_display = ["name", "credentials", "email", "provider"]
    search_fields = ["name", "email"]
    list_filter = ["provider"]


@admin.register(DisclosureRequest)
class DisclosureRequestAdmin(ReadOnlyRecordAdmin):
    # Not token_hash: the link's only trace has no use on a page.
    fields = [
        "person",
        "activity",
        "sent_to",
        "created_at",
        "created_by",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
    list_display = ["person", "sent_to", "created_at", "expires_at", "used_at", "revoked_at"]
    search_fields = ["person__name", "sent_to"]
    list_select_related = ["person"]


class FinancialRelationshipInline(ReadOnlyInline):
    model = FinancialRelationship


@admin.register(DisclosureForm)
class DisclosureFormAdmin(ReadOnlyRecordAdmin):
    list_display = ["person", "source", "collected_on", "no_relationships", "owner_or_employee"]
    list_filter = ["source"]
    search_fields = ["person__name"]
    list_select_related = ["person"]
    inlines = [FinancialRelationshipInline]


@admin.register(FinancialRelationship)
class FinancialRelationshipAdmin(ReadOnlyRecordAdmin):
    list_display = ["form", "company", "nature", "started_on", "ended_on", "ongoing"]
    search_fields = ["company", "form__person__name"]
    list_select_related = ["form__person"]


@admin.register(RelevanceDecision)
class RelevanceDecisionAdmin(ReadOnlyRecordAdmin):
    list_display = ["content_person", "relationship", "relevant", "mitigation", "decided_at"]
    search_fields = ["relationship__company", "content_person__person__name"]
    list_select_related = ["content_person__person", "relationship"]


@admin.register(SpeakerMatch)
class SpeakerMatchAdmin(ReadOnlyRecordAdmin):
    list_display = ["speaker_name", "activity", "content_person", "not_in_control_reason"]
    search_fields = ["speaker_name", "activity__title"]


class OptionInline(ReadOnlyInline):
    model = Option


@admin.register(Question)
class QuestionAdmin(ReadOnlyRecordAdmin):
    list_display = ["text", "activity", "position"]
    list_filter = ["activity__provider"]
    search_fields = ["text", "activity__title"]
    inlines = [OptionInline]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = ["learner", "activity", "number", "score", "passed", "submitted_at"]
    list_filter = ["passed", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    list_select_related = ["learner", "activity"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = [
        "learner",
        "activity",
        "objectives_met",
        "relevant_to_practice",
        "free_of_bias",
        "intends_change",
    ]
    list_filter = ["intends_change", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    list_select_related = ["learner", "activity"]


@admin.register(CreditClaim)
class CreditClaimAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = ["learner", "activity", "credits", "credit_type", "claimed_at"]
    list_filter = ["credit_type", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    date_hierarchy = "claimed_at"
    list_select_related = ["learner", "activity"]
    inlines = [ClaimedCreditInline]


@admin.register(CompletionRecord)
class CompletionRecordAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = ["learner", "activity", "credits", "credit_type", "completed_at"]
    list_filter = ["credit_type", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    list_select_related = ["learner", "activity"]


@admin.register(ListeningProgress)
class ListeningProgressAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = ["user", "episode", "seconds_played", "updated_at"]
    search_fields = ["user__email", "episode__title"]
    list_select_related = ["user", "episode"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyRecordAdmin):
    """Re-issue and revocation happen on the coordinator pages (they write the audit rows)."""

    where_to_change = _(
        "Read-only here: a certificate is corrected, re-issued or revoked on the coordinator's "
        "certificate pages (Coordinator → Certificates), which keep every revision and write the audit trail."
    )

    list_display = ["number", "learner_name", "activity_title", "status", "render_state", "issued_at"]
    list_filter = ["status", "render_state", "credit_type"]
    search_fields = ["number", "code", "learner_name", "activity_title"]
    date_hierarchy = "issued_at"


@admin.register(CertificateRevision)
class CertificateRevisionAdmin(ReadOnlyRecordAdmin):
    where_to_change = LEARNER_RECORDS
    list_display = ["certificate", "revision", "replaced_at", "reason"]
    search_fields = ["certificate__number", "reason"]
    list_select_related = ["certificate"]


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: learners request corrections from their certificate; coordinators decide them "
        "on Coordinator → Corrections."
    )
    list_display = ["certificate", "learner_name", "degree", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["certificate__number", "learner_name"]
    list_select_related = ["certificate"]


@admin.register(ShowProviderGrant)
class ShowProviderGrantAdmin(ReadOnlyRecordAdmin):
    """Grants change only on the hosts' and coordinators' pages (credits/grants.py, audited)."""

    where_to_change = _(
        "Read-only here: a show's hosts invite a provider and its coordinators request, accept or end "
        "a grant on their pages (Host → the show → Providers; Coordinator → Shows)."
    )

    list_display = ["show", "provider", "status", "requested_at", "accepted_at", "closed_at"]
    list_filter = ["status", "provider"]
    search_fields = ["show__title", "show__slug", "provider__name"]
    list_select_related = ["show", "provider"]


@admin.register(ClinicianVerification)
class ClinicianVerificationAdmin(ReadOnlyRecordAdmin):
    """Verifications change only on the coordinator's pages (credits/clinicians.py, audited)."""

    where_to_change = _(
        "Read-only here: a provider's coordinators verify a known person as a licensed clinician, and "
        "revoke a verification, on Coordinator → the provider → Verified clinicians."
    )
    list_display = [
        "person",
        "licence_state",
        "npi",
        "verified_at",
        "valid_until",
        "revoked_at",
        "replaced_at",
    ]
    list_filter = ["licence_state", "person__provider"]
    search_fields = ["person__name", "npi", "licence_number"]
    list_select_related = ["person"]
