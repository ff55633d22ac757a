"""Admin: follow-ups are read-only here (the admin is not a back door). Coordinators set a plan on the
activity's Follow-up page and learners answer by their signed link; each change is audited there."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin_readonly import ReadOnlyRecordAdmin

from .models import FollowUp, FollowUpAnswer, FollowUpConsent, FollowUpPlan, PracticeChangeAnswer

WHERE = _(
    "Read-only here: coordinators set the follow-up on the activity's Follow-up page; learners opt in on "
    "My learning and answer by their emailed link. Every change is audited."
)


class ReadOnlyAdmin(ReadOnlyRecordAdmin):
    where_to_change = WHERE


@admin.register(FollowUpPlan)
class FollowUpPlanAdmin(ReadOnlyAdmin):
    list_display = ["activity", "enabled", "intervals_days", "practice_change_days", "updated_at"]
    list_select_related = ["activity"]


@admin.register(FollowUpConsent)
class FollowUpConsentAdmin(ReadOnlyAdmin):
    list_display = ["learner", "opted_in", "changed_at"]
    list_select_related = ["learner"]
    search_fields = ["learner__email"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["pk", "learner", "activity", "kind", "interval_days", "status", "due_at", "score"]
    list_filter = ["status", "kind"]
    list_select_related = ["learner", "activity"]
    search_fields = ["learner__email", "activity__title"]
    raw_id_fields = ["claim", "learner", "activity"]
    exclude = ["nonce"]  # the link's secret half

    def get_readonly_fields(self, request, obj=None):
        return [f for f in super().get_readonly_fields(request, obj) if f != "nonce"]


@admin.register(FollowUpAnswer)
class FollowUpAnswerAdmin(ReadOnlyAdmin):
    list_display = ["follow_up", "question", "chosen_option", "correct", "answered_at"]
    list_select_related = ["follow_up__learner", "follow_up__activity", "question"]


@admin.register(PracticeChangeAnswer)
class PracticeChangeAnswerAdmin(ReadOnlyAdmin):
    list_display = ["follow_up", "changed", "answered_at"]
    list_select_related = ["follow_up__learner", "follow_up__activity"]
