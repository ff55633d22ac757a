from django.contrib import admin

from .models import Provider, ProviderCoordinator


class ProviderCoordinatorInline(admin.TabularInline):
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
class ProviderCoordinatorAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "created_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "provider__name"]
    autocomplete_fields = ["user", "provider"]
