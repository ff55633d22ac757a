"""Admin: the discussion is read-only here. Comments are moderated on the host's moderation page
(/host/shows/<slug>/discussion/), each action audited; the admin only shows them (issue 12: the
admin is not a back door)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin_readonly import ReadOnlyInline, ReadOnlyRecordAdmin

from .models import Comment, CommentReference, HelpfulMark, ShowDiscussion

WHERE = _(
    "Read-only here: hosts approve, pin, hide and show again comments, and set the moderation rule, "
    "on their show's Discussion page; every change is audited."
)


class ReadOnlyAdmin(ReadOnlyRecordAdmin):
    where_to_change = WHERE


class ReferenceInline(ReadOnlyInline):
    model = CommentReference
    fields = ["position", "kind", "value"]
    readonly_fields = ["position", "kind", "value"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "episode", "origin", "status", "created_at", "remote_handle", "pinned_at"]
    list_filter = ["status", "origin"]
    search_fields = ["remote_handle", "remote_object_id", "episode__title"]
    list_select_related = ["episode"]
    inlines = [ReferenceInline]
    raw_id_fields = ["episode", "author", "in_reply_to", "hidden_by", "pinned_by"]


@admin.register(ShowDiscussion)
class ShowDiscussionAdmin(ReadOnlyAdmin):
    list_display = ["show", "moderation", "comments_open", "updated_at"]


@admin.register(HelpfulMark)
class HelpfulMarkAdmin(ReadOnlyAdmin):
    list_display = ["comment", "created_at"]
    raw_id_fields = ["comment", "user"]
