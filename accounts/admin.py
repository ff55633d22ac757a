"""Admin: users and profiles; two-factor devices without their secrets, reset by an audited action;
setting another user's password is audited too."""

import allauth.mfa.admin  # noqa: F401  (allauth registers its admin first; ours replaces it)
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import LearnerProfile, User
from .services import admin_password_set, mfa_reset


class LearnerProfileInline(admin.StackedInline):
    model = LearnerProfile
    can_delete = False
    extra = 0
    # The learner attests their degree's equivalence themselves; nobody does it for them.
    readonly_fields = ["board_sharing_consent_at", "degree_equivalence_attested_at", "updated_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "degree", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "profile__degree"]
    search_fields = ["email", "profile__given_name", "profile__family_name", "profile__npi"]
    list_select_related = ["profile"]
    inlines = [LearnerProfileInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Preferences"), {"fields": ("time_zone",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def user_change_password(self, request, id, form_url=""):
        """Django's "change password" form, with an audit row (who set whose password, when) when
        the new password is saved; the password itself is never recorded."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, id)
                if user is not None:
                    admin_password_set(actor=request.user, user=user)
        return response

    @admin.display(description=_("legal name"))
    def full_name(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.legal_name if profile else ""

    @admin.display(description=_("degree"))
    def degree(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.credential if profile else ""


@admin.register(LearnerProfile)
class LearnerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "given_name",
        "family_name",
        "degree",
        "country",
        "board_sharing_consent",
    ]
    list_filter = ["degree", "board_sharing_consent", "country"]
    search_fields = ["user__email", "given_name", "family_name", "npi", "licence_number"]
    readonly_fields = ["board_sharing_consent_at", "degree_equivalence_attested_at", "updated_at"]
    list_select_related = ["user"]


# allauth's own Authenticator admin shows the ``data`` field: the TOTP secret and the recovery-code
# seed. Ours shows who has which device and when it was used, and nothing can be edited.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    """Read-only; the only action is a superuser's audited reset of a user's two-factor devices
    (deleting a device deletes all of that user's devices, recovery codes included)."""

    list_display = ["user", "type", "created_at", "last_used_at"]
    list_filter = ["type", "created_at", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    fields = readonly_fields = ("user", "type", "created_at", "last_used_at")
    actions = None  # no bulk delete: each reset is one user, one audit row

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_superuser)

    def get_deleted_objects(self, objs, request):
        # The confirmation page lists every device the reset removes, not only the one clicked.
        users = {device.user_id for device in objs}
        return super().get_deleted_objects(Authenticator.objects.filter(user_id__in=users), request)

    def delete_model(self, request, obj):
        mfa_reset(actor=request.user, user=obj.user)

    def delete_queryset(self, request, queryset):
        for user in {device.user for device in queryset.select_related("user")}:
            mfa_reset(actor=request.user, user=user)
