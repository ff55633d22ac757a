"""Tokens in the admin: read-only (creating and revoking go through the owner's page and its audit rows)."""

from django.contrib import admin

from .models import PersonalAccessToken


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope",)
    search_fields = ("prefix", "name", "user__email")
    readonly_fields = [f.name for f in PersonalAccessToken._meta.fields if f.name != "secret_hash"]
    exclude = ("secret_hash",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
