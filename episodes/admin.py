from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db import models

from .admin_widgets import KeySafeAutocompleteMixin
from .models import Episode, EpisodePerson, PersonalFeed, Show, ShowHost, Topic

# "example.org" typed without a scheme becomes https://example.org, as on the host's pages (and
# Django 6's default); without it Django 5.2 warns on every admin form with a URL field.
URL_FIELDS_ASSUME_HTTPS: Mapping[type[models.Field], Mapping[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class ShowHostInline(KeySafeAutocompleteMixin, admin.TabularInline):
    model = ShowHost
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "author", "category", "language", "locked", "created_at"]
    list_filter = ["category", "language", "explicit", "locked", "show_type"]
    search_fields = ["title", "slug", "author", "owner_email"]
    readonly_fields = ["podcast_guid", "content_changed_at", "created_at", "updated_at"]
    inlines = [ShowHostInline]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS

    def get_readonly_fields(self, request, obj=None):
        # The slug makes the feed URL and podcast:guid: it never changes once created.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields


@admin.register(ShowHost)
class ShowHostAdmin(KeySafeAutocompleteMixin, admin.ModelAdmin):
    list_display = ["user", "show", "created_at"]
    list_filter = ["show"]
    search_fields = ["user__email", "show__title"]
    autocomplete_fields = ["user", "show"]


class EpisodePersonInline(admin.TabularInline):
    model = EpisodePerson
    extra = 0
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "show",
        "status",
        "publish_at",
        "episode_type",
        "season",
        "number",
        "audio_duration",
    ]
    list_filter = ["status", "episode_type", "show", "topics"]
    search_fields = ["title", "slug", "guid", "notes"]
    date_hierarchy = "publish_at"
    list_select_related = ["show"]
    # The transcript is read once when stored (TranscriptText): it changes on the host's edit page only.
    readonly_fields = [
        "guid", "audio_mime", "audio_size", "audio_duration", "audio_bitrate", "notes_html",
        "transcript", "transcript_type",
    ]  # fmt: skip
    filter_horizontal = ["topics"]
    inlines = [EpisodePersonInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


@admin.register(EpisodePerson)
class EpisodePersonAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "episode"]
    list_filter = ["role"]
    search_fields = ["name", "episode__title"]
    list_select_related = ["episode"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


@admin.register(PersonalFeed)
class PersonalFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "show", "created_at", "revoked_at"]
    list_filter = ["show"]
    search_fields = ["user__email", "show__title"]
    list_select_related = ["user", "show"]
    readonly_fields = ["nonce", "token_hash", "created_at"]
