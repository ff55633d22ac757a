"""Admin: staff create institutions, name their admins and grant seat licences, each through the
services (audited); memberships and invitations are read-only here (they change through the
learner's and the institution admin's pages)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from credits.admin import ReadOnlyRecordAdmin

from . import admin_sso, services  # noqa: F401  (admin_sso: the single sign-on admin registers itself)
from .errors import InstitutionError
from .models import Institution, InstitutionAdmin, Invitation, Membership, SeatLicence


class InstitutionForm(forms.ModelForm):
    email_domains = forms.CharField(
        label=_("email domains"),
        required=False,
        help_text=_("Separated by commas or spaces, e.g. mercy-general.example.org. Learners with a verified "
                    "address at one may join by themselves."),
    )  # fmt: skip

    class Meta:
        model = Institution
        fields = ["name", "slug", "provider", "email_domains"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["email_domains"] = ", ".join(self.instance.email_domains or [])

    def clean_email_domains(self) -> list[str]:
        try:
            return services.clean_domains(self.cleaned_data.get("email_domains") or "")
        except InstitutionError as error:
            raise ValidationError(error.message) from None


@admin.register(Institution)
class InstitutionModelAdmin(admin.ModelAdmin):
    form = InstitutionForm
    list_display = ["name", "slug", "provider", "created_at"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["provider"]
    actions = None

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []  # the slug is in the admin's and the members' addresses

    def save_model(self, request, obj, form, change):
        services.institution_save(institution=obj, actor=request.user)


@admin.register(InstitutionAdmin)
class InstitutionAdminModelAdmin(admin.ModelAdmin):
    """Added and removed here, each audited; never re-pointed."""

    list_display = ["user", "institution", "added_at"]
    list_filter = ["institution"]
    search_fields = ["user__email", "institution__name"]
    autocomplete_fields = ["user", "institution"]
    fields = ["institution", "user"]
    actions = None

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.institution_admin_add(institution=obj.institution, user=obj.user, actor=request.user)

    def delete_model(self, request, obj):
        services.institution_admin_remove(row=obj, actor=request.user)


class LicenceGrantForm(forms.ModelForm):
    class Meta:
        model = SeatLicence
        fields = ["institution", "seats", "valid_from", "valid_until"]

    def clean_seats(self) -> int:
        try:
            return services.check_seats(self.cleaned_data.get("seats"))
        except InstitutionError as error:
            raise ValidationError(error.message) from None

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            raise ValidationError(_("A licence must end after it starts."))
        return data


@admin.register(SeatLicence)
class SeatLicenceAdmin(admin.ModelAdmin):
    """Staff grant seats here (a contract paid outside Stripe, a trial); bought licences come from
    billing. A licence is never edited or deleted: "End the selected licences" ends it early."""

    form = LicenceGrantForm
    list_display = ["institution", "seats", "valid_from", "valid_until", "ended_at", "order_reference"]
    list_filter = ["institution"]
    search_fields = ["institution__name", "order_reference"]
    autocomplete_fields = ["institution"]
    actions = ["end_licences"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form checked the seats and the period with the service's own rules.
        saved = services.licence_grant(
            institution=obj.institution,
            seats=obj.seats,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
            actor=request.user,
        )
        obj.pk = saved.pk

    def has_end_permission(self, request) -> bool:
        # Not "view": ending a paid licence takes its members' coverage away; a view-only staff
        # member (an auditor) must not. Licences are never changed otherwise, so "change" names it.
        return request.user.has_perm("institutions.change_seatlicence")

    @admin.action(description=_("End the selected licences now"), permissions=["end"])
    def end_licences(self, request, queryset):
        for licence in queryset.filter(ended_at__isnull=True):
            services.licence_end(licence=licence, actor=request.user, reason="ended by staff")
        messages.success(request, _("Licences ended."))


@admin.register(Membership)
class MembershipAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: a member joins by invitation, verified email domain or single sign-on, leaves "
        "from Your institutions, or is removed by the institution's admin; each audited."
    )
    list_display = [
        "user", "institution", "joined_via", "joined_at", "ended_at", "removed_at", "readmitted_at",
        "shares_completions",
    ]  # fmt: skip
    list_filter = ["institution", "joined_via"]
    search_fields = ["user__email", "institution__name"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyRecordAdmin):
    where_to_change = _(
        "Read-only here: the institution's admin sends and withdraws invitations on its page; each audited."
    )
    list_display = ["email", "institution", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["institution"]
    search_fields = ["email", "institution__name"]
    # Never the token's hash: useless to people, and one less thing to leak.
    fields = [
        "institution",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
