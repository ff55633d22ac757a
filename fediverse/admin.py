"""Admin: federation records are read-only (the services write them, each change audited). The
operator's site-wide blocks are listed here and made with ``manage.py fediverse_block`` or the
action below (both through ``fediverse.blocks``)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from audit.admin_readonly import ReadOnlyRecordAdmin

from .blocks import BlockError, domain_unblock
from .models import BlockedDomain, Delivery, Follower, InboxActivity, RemoteActor

WHERE = _(
    "Federation records are written by the services and are read-only here. Block a domain for the "
    'whole site with: manage.py fediverse_block <domain> --reason "..." (--remove to lift it); '
    "hosts block domains for their show on the show's Fediverse page."
)


class ReadOnlyFederationAdmin(ReadOnlyRecordAdmin):
    where_to_change = WHERE


@admin.register(BlockedDomain)
class BlockedDomainAdmin(ReadOnlyFederationAdmin):
    list_display = ["domain", "show", "reason", "created_at", "created_by"]
    list_filter = [("show", admin.EmptyFieldListFilter)]
    search_fields = ["domain"]
    actions = ["unblock"]  # through the service (audited); Django's bulk delete is not offered

    @admin.action(description=_("Unblock the selected domains (audited)"))
    def unblock(self, request, queryset):
        done = 0
        for block in queryset.select_related("show"):
            try:
                domain_unblock(domain=block.domain, show=block.show, by=request.user)
            except BlockError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        self.message_user(request, _("%(count)d block(s) lifted.") % {"count": done})


@admin.register(RemoteActor)
class RemoteActorAdmin(ReadOnlyFederationAdmin):
    list_display = ["url", "preferred_username", "domain", "fetched_at", "gone_at"]
    search_fields = ["url", "preferred_username", "domain"]


@admin.register(Follower)
class FollowerAdmin(ReadOnlyFederationAdmin):
    list_display = ["actor", "show", "accepted_at", "ended_at"]
    list_filter = ["show"]
    list_select_related = ["actor", "show"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyFederationAdmin):
    list_display = ["pk", "show", "domain", "status", "attempts", "created_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["domain", "inbox"]


@admin.register(InboxActivity)
class InboxActivityAdmin(ReadOnlyFederationAdmin):
    list_display = ["type", "actor_url", "show", "outcome", "received_at"]
    list_filter = ["type"]
    search_fields = ["activity_id", "actor_url"]
