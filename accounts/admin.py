from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import LearnerProfile, User


class LearnerProfileInline(admin.StackedInline):
    model = LearnerProfile
    can_delete = False
    extra = 0
    readonly_fields = ["board_sharing_consent_at", "updated_at"]


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
    readonly_fields = ["board_sharing_consent_at", "updated_at"]
    list_select_related = ["user"]
