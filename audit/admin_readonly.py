"""The admin of records that only services change (each change with its audit row): shown, with a
note saying where they are changed, and never added, changed or deleted in the admin (the admin is
not a back door). Every app's read-only admins subclass these and set ``where_to_change``."""

from typing import Any

from django.contrib import admin, messages


class NothingChangedHere:
    """No add, change or delete in the admin: for a record admin and for its inlines."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyRecordAdmin(NothingChangedHere, admin.ModelAdmin):
    where_to_change: Any = ""  # the note shown on the list and on each record (a lazy string)
    actions: Any = None

    def get_readonly_fields(self, request, obj=None):
        opts = self.model._meta
        return [f.name for f in (*opts.concrete_fields, *opts.many_to_many) if not f.auto_created]

    def changelist_view(self, request, extra_context=None):
        if self.where_to_change:
            messages.info(request, self.where_to_change)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and self.where_to_change:
            messages.info(request, self.where_to_change)
        return super().changeform_view(request, object_id, form_url, extra_context)


class ReadOnlyInline(NothingChangedHere, admin.TabularInline):
    """The rows of a read-only record, shown under it and never changed here."""

    extra = 0
    can_delete = False
