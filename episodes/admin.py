from django.contrib import admin

from .models import Show, ShowHost


class ShowHostInline(admin.TabularInline):
    model = ShowHost
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "created_at"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ShowHostInline]


@admin.register(ShowHost)
class ShowHostAdmin(admin.ModelAdmin):
    list_display = ["user", "show", "created_at"]
    list_filter = ["show"]
    search_fields = ["user__email", "show__title"]
    autocomplete_fields = ["user", "show"]
