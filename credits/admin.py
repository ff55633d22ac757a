from django.contrib import admin

from episodes.admin_widgets import KeySafeAutocompleteMixin

from .models import (
    Activity,
    Attempt,
    Certificate,
    CertificateRevision,
    CompletionRecord,
    ContentPerson,
    CorrectionRequest,
    CreditClaim,
    Disclosure,
    Evaluation,
    ListeningProgress,
    MandateTopic,
    Option,
    Provider,
    ProviderCoordinator,
    Question,
    ShowProviderGrant,
)


class ProviderCoordinatorInline(KeySafeAutocompleteMixin, admin.TabularInline):
    model = ProviderCoordinator
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "accreditation_type", "joint_provider_name", "time_zone", "created_at"]
    list_filter = ["accreditation_type"]
    search_fields = ["name", "joint_provider_name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProviderCoordinatorInline]


@admin.register(ProviderCoordinator)
class ProviderCoordinatorAdmin(KeySafeAutocompleteMixin, admin.ModelAdmin):
    list_display = ["user", "provider", "created_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "provider__name"]
    autocomplete_fields = ["user", "provider"]


@admin.register(MandateTopic)
class MandateTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ContentPersonInline(admin.TabularInline):
    model = ContentPerson
    extra = 0


@admin.register(Activity)
class ActivityAdmin(KeySafeAutocompleteMixin, admin.ModelAdmin):
    list_display = ["title", "provider", "designated_credits", "release_date", "expiry_date", "passing_score"]
    list_filter = ["provider", "reveal_answers", "mandate_topics"]
    search_fields = ["title", "episode__title", "provider__name"]
    date_hierarchy = "release_date"
    list_select_related = ["provider"]
    autocomplete_fields = ["episode"]
    filter_horizontal = ["mandate_topics"]
    inlines = [ContentPersonInline]


class DisclosureInline(admin.TabularInline):
    model = Disclosure
    extra = 0


@admin.register(ContentPerson)
class ContentPersonAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "role", "activity"]
    list_filter = ["role"]
    search_fields = ["name", "activity__title"]
    inlines = [DisclosureInline]


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "activity", "position"]
    list_filter = ["activity__provider"]
    search_fields = ["text", "activity__title"]
    inlines = [OptionInline]


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Credit records are changed only by services (with audit rows), never here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyRecordAdmin):
    list_display = ["learner", "activity", "number", "score", "passed", "submitted_at"]
    list_filter = ["passed", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    list_select_related = ["learner", "activity"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyRecordAdmin):
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
    list_display = ["learner", "activity", "credits", "credit_type", "claimed_at"]
    list_filter = ["credit_type", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    date_hierarchy = "claimed_at"
    list_select_related = ["learner", "activity"]


@admin.register(CompletionRecord)
class CompletionRecordAdmin(ReadOnlyRecordAdmin):
    list_display = ["learner", "activity", "credits", "credit_type", "completed_at"]
    list_filter = ["credit_type", "activity__provider"]
    search_fields = ["learner__email", "activity__title"]
    list_select_related = ["learner", "activity"]


@admin.register(ListeningProgress)
class ListeningProgressAdmin(ReadOnlyRecordAdmin):
    list_display = ["user", "episode", "seconds_played", "updated_at"]
    search_fields = ["user__email", "episode__title"]
    list_select_related = ["user", "episode"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyRecordAdmin):
    """Re-issue and revocation happen on the coordinator pages (they write the audit rows)."""

    list_display = ["number", "learner_name", "activity_title", "status", "render_state", "issued_at"]
    list_filter = ["status", "render_state", "credit_type"]
    search_fields = ["number", "code", "learner_name", "activity_title"]
    date_hierarchy = "issued_at"


@admin.register(CertificateRevision)
class CertificateRevisionAdmin(ReadOnlyRecordAdmin):
    list_display = ["certificate", "revision", "replaced_at", "reason"]
    search_fields = ["certificate__number", "reason"]
    list_select_related = ["certificate"]


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyRecordAdmin):
    list_display = ["certificate", "learner_name", "degree", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["certificate__number", "learner_name"]
    list_select_related = ["certificate"]


@admin.register(ShowProviderGrant)
class ShowProviderGrantAdmin(ReadOnlyRecordAdmin):
    """Grants change only on the hosts' and coordinators' pages (credits/grants.py, audited)."""

    list_display = ["show", "provider", "status", "requested_at", "accepted_at", "closed_at"]
    list_filter = ["status", "provider"]
    search_fields = ["show__title", "show__slug", "provider__name"]
    list_select_related = ["show", "provider"]
