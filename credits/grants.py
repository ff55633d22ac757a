"""Show grants: which providers a show's hosts allow to make its episodes CME activities.

A grant is opened by one side and made active by the other: a host of the show invites a provider
(a coordinator of the provider accepts), or a coordinator requests access to a published show (a
host accepts). The side that opened it may withdraw it while it waits, the other side may decline
it, and either side may end an active grant (revoke). Rows are never deleted; every change writes
an audit row (``grant.<action>``) naming the actor and the side they acted for.

What a grant allows, and what ending it does:

* Only a provider with an active grant sees the show's episodes (titles of drafts and scheduled
  episodes included: the hosts chose to share them) and can make one of them an activity.
* Ending a grant stops new activities and every change to the provider's existing activities on
  the show (details, people and disclosures, post-test). The existing activities keep running
  unchanged until their expiry date, so learners who started are not stranded; attempts, claims,
  completion records and certificates are untouched, and the coordinator still sees reports and
  handles certificates. The hosts see those activities and their expiry dates on their page.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import is_coordinator_of, is_host_of
from audit.services import audit_record
from episodes.models import Episode, Show

from .audit_actions import CreditAction
from .errors import GrantError
from .models import (
    GRANT_OPEN_STATUSES,
    GRANT_PENDING_STATUSES,
    Activity,
    GrantStatus,
    Provider,
    ShowProviderGrant,
)

Side = Literal["host", "provider"]
HOST: Side = "host"
PROVIDER: Side = "provider"
MESSAGE_MAX_CHARS = 500


# --- reads -----------------------------------------------------------------------------------------


def has_public_episode(show: Show) -> bool:
    return Episode.objects.published().filter(show=show).exists()


def requestable_shows(*, provider: Provider) -> QuerySet[Show]:
    """Shows a coordinator may ask for: published (a public episode), no open grant with ``provider``."""
    public = Episode.objects.published().filter(show=OuterRef("pk"))
    open_grant = ShowProviderGrant.objects.filter(
        show=OuterRef("pk"), provider=provider, status__in=GRANT_OPEN_STATUSES
    )
    return Show.objects.filter(Exists(public)).exclude(Exists(open_grant)).order_by("title")


def show_for_request(slug: str) -> Show:
    """The published show at ``slug``; unknown and unpublished shows get the same answer."""
    slug = (slug or "").strip().strip("/").rsplit("/", 1)[-1]
    show = Show.objects.filter(slug=slug).first() if slug else None
    if show is None or not has_public_episode(show):
        raise GrantError(
            _("No published show has the address “%(slug)s”. Check the show's page for its address.")
            % {"slug": slug[:80]},
            code="unknown_show",
        )
    return show


def grants_for_show(*, show: Show) -> QuerySet[ShowProviderGrant]:
    return (
        ShowProviderGrant.objects.filter(show=show)
        .select_related("provider")
        .order_by("-requested_at", "-id")
    )


def grants_for_provider(*, provider: Provider) -> QuerySet[ShowProviderGrant]:
    return (
        ShowProviderGrant.objects.filter(provider=provider)
        .select_related("show")
        .order_by("-requested_at", "-id")
    )


def pending_invitations(*, user: User) -> QuerySet[ShowProviderGrant]:
    """Invitations waiting for a coordinator's answer, across their providers."""
    return ShowProviderGrant.objects.filter(
        status=GrantStatus.INVITED, provider__memberships__user=user
    ).select_related("show", "provider")


def is_granted(*, show_id: int, provider_id: int) -> bool:
    return ShowProviderGrant.objects.active().filter(show_id=show_id, provider_id=provider_id).exists()


def episodes_for_new_activity(*, provider: Provider) -> QuerySet[Episode]:
    """Episodes ``provider`` may make activities of: shows that grant it, no activity yet."""
    granted = ShowProviderGrant.objects.active().filter(show=OuterRef("show_id"), provider=provider)
    return (
        Episode.objects.filter(Exists(granted), activity__isnull=True)
        .select_related("show")
        .order_by("show__title", "-publish_at", "-id")
    )


def activity_is_changeable(activity: Activity) -> bool:
    return is_granted(show_id=activity.episode.show_id, provider_id=activity.provider_id)


def activity_lock_message(activity: Activity) -> str:
    return _(
        "The hosts of this show no longer allow %(provider)s to change activities on it. This activity "
        "stays available to learners, unchanged, until it expires on %(date)s; its claims, certificates "
        "and reports stay as they are."
    ) % {"provider": activity.provider.name, "date": date_format(activity.expiry_date, "DATE_FORMAT")}


def activities_on_show(*, show: Show) -> QuerySet[Activity]:
    """Every activity on the show's episodes, for its hosts (whether or not its provider still has access)."""
    granted = ShowProviderGrant.objects.active().filter(show=show, provider=OuterRef("provider_id"))
    return (
        Activity.objects.filter(episode__show=show)
        .select_related("provider", "episode")
        .annotate(provider_has_access=Exists(granted))
        .order_by("-release_date", "-id")
    )


# --- the rule activities obey (credits.services calls these) --------------------------------------


def require_grant_for_new_activity(*, show: Show, provider: Provider) -> None:
    """Refuse unless ``show`` grants ``provider``; locks the grant so a revocation waits for the activity."""
    grant = ShowProviderGrant.objects.select_for_update().filter(
        show=show, provider=provider, status=GrantStatus.ACTIVE
    )
    if not grant.exists():
        raise ValidationError(
            {
                "episode": _(
                    "The hosts of this episode's show have not allowed %(provider)s to make its episodes "
                    "CME activities. Ask them from your Shows page."
                )
                % {"provider": provider.name}
            }
        )


def require_changeable(activity: Activity) -> None:
    grant = ShowProviderGrant.objects.select_for_update().filter(
        show_id=activity.episode.show_id, provider_id=activity.provider_id, status=GrantStatus.ACTIVE
    )
    if not grant.exists():
        raise ValidationError(activity_lock_message(activity))


# --- writes ----------------------------------------------------------------------------------------


def _check_side(*, actor: User, side: Side, show: Show, provider: Provider) -> None:
    if side == HOST and not is_host_of(actor, show):
        raise GrantError(_("Only the show's hosts can do this."), code="forbidden", status=403)
    if side == PROVIDER and not is_coordinator_of(actor, provider):
        raise GrantError(
            _("Only coordinators of %(provider)s can do this.") % {"provider": provider.name},
            code="forbidden",
            status=403,
        )
    if side not in (HOST, PROVIDER):
        raise ValueError(side)


def _audit(grant: ShowProviderGrant, *, actor: User | None, action: str, side: Side | None, **data) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=grant,
        data={
            "show": grant.show_id,
            "provider": grant.provider_id,
            "status": grant.status,
            "by": side,
            **data,
        },
    )


def _open_message(grant: ShowProviderGrant) -> str:
    names = {"provider": grant.provider.name, "show": grant.show.title}
    if grant.status == GrantStatus.REQUESTED:
        return (
            _("%(provider)s has already asked for access to %(show)s; it waits for the show's hosts.") % names
        )
    if grant.status == GrantStatus.INVITED:
        return (
            _("The hosts of %(show)s have already asked %(provider)s; it waits for its coordinators.") % names
        )
    return _("%(provider)s already has access to %(show)s.") % names


def _open(*, show: Show, provider: Provider, actor: User, side: Side, message: str) -> ShowProviderGrant:
    _check_side(actor=actor, side=side, show=show, provider=provider)
    message = (message or "").strip()
    if len(message) > MESSAGE_MAX_CHARS:
        raise GrantError(
            _("Keep the message under %(n)d characters.") % {"n": MESSAGE_MAX_CHARS}, code="message"
        )
    existing = (
        ShowProviderGrant.objects.filter(show=show, provider=provider, status__in=GRANT_OPEN_STATUSES)
        .select_related("show", "provider")
        .first()
    )
    if existing is not None:
        raise GrantError(_open_message(existing), code="duplicate", status=409)
    grant = ShowProviderGrant(
        show=show,
        provider=provider,
        status=GrantStatus.REQUESTED if side == PROVIDER else GrantStatus.INVITED,
        message=message,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:
        # Another request or invitation for the same pair committed first (the partial unique index).
        existing = ShowProviderGrant.objects.filter(
            show=show, provider=provider, status__in=GRANT_OPEN_STATUSES
        ).first()
        raise GrantError(
            _open_message(existing) if existing else _("Try again."), code="duplicate", status=409
        ) from None
    _audit(
        grant,
        actor=actor,
        action=CreditAction.GRANT_REQUESTED if side == PROVIDER else CreditAction.GRANT_INVITED,
        side=side,
    )
    return grant


@transaction.atomic
def grant_invite(*, show: Show, provider: Provider, actor: User, message: str = "") -> ShowProviderGrant:
    """A host of ``show`` invites ``provider``; one of its coordinators accepts."""
    return _open(show=show, provider=provider, actor=actor, side=HOST, message=message)


@transaction.atomic
def grant_request(*, show: Show, provider: Provider, actor: User, message: str = "") -> ShowProviderGrant:
    """A coordinator of ``provider`` asks for access to a published ``show``; one of its hosts accepts."""
    _check_side(actor=actor, side=PROVIDER, show=show, provider=provider)
    if not has_public_episode(show):
        raise GrantError(
            _("No published show has the address “%(slug)s”. Check the show's page for its address.")
            % {"slug": show.slug},
            code="unknown_show",
        )
    return _open(show=show, provider=provider, actor=actor, side=PROVIDER, message=message)


def _locked(grant: ShowProviderGrant) -> ShowProviderGrant:
    return ShowProviderGrant.objects.select_for_update().select_related("show", "provider").get(pk=grant.pk)


def _closed_message(grant: ShowProviderGrant) -> str:
    when = date_format(timezone.localtime(grant.closed_at), "DATE_FORMAT") if grant.closed_at else ""
    if grant.status == GrantStatus.REVOKED:
        return _(
            "This access was revoked on %(date)s. To work together again, send a new invitation or request."
        ) % {"date": when}
    if grant.status == GrantStatus.DECLINED:
        return _("This was declined on %(date)s. Send a new invitation or request instead.") % {"date": when}
    return _("This was withdrawn on %(date)s. Send a new invitation or request instead.") % {"date": when}


def _require_pending(grant: ShowProviderGrant) -> None:
    if grant.status == GrantStatus.ACTIVE:
        raise GrantError(_("This access is already active."), code="already_active", status=409)
    if grant.status not in GRANT_PENDING_STATUSES:
        raise GrantError(_closed_message(grant), code="closed", status=409)


def _waits_for(grant: ShowProviderGrant) -> Side:
    return HOST if grant.status == GrantStatus.REQUESTED else PROVIDER


def _waits_for_message(grant: ShowProviderGrant) -> str:
    if _waits_for(grant) == HOST:
        return _("This request waits for the show's hosts to answer.")
    return _("This invitation waits for the coordinators of %(provider)s to answer.") % {
        "provider": grant.provider.name
    }


@transaction.atomic
def grant_accept(*, grant: ShowProviderGrant, actor: User, side: Side) -> ShowProviderGrant:
    """The side that did not open the grant accepts it: the provider may now make activities."""
    grant = _locked(grant)
    _check_side(actor=actor, side=side, show=grant.show, provider=grant.provider)
    _require_pending(grant)
    if _waits_for(grant) != side:
        raise GrantError(_waits_for_message(grant), code="wrong_side", status=409)
    grant.status = GrantStatus.ACTIVE
    grant.accepted_by = actor
    grant.accepted_at = timezone.now()
    grant.save(update_fields=["status", "accepted_by", "accepted_at"])
    _audit(grant, actor=actor, action=CreditAction.GRANT_ACCEPTED, side=side)
    return grant


@transaction.atomic
def grant_decline(*, grant: ShowProviderGrant, actor: User, side: Side) -> ShowProviderGrant:
    grant = _locked(grant)
    _check_side(actor=actor, side=side, show=grant.show, provider=grant.provider)
    _require_pending(grant)
    if _waits_for(grant) != side:
        raise GrantError(
            _("You sent this one: withdraw it instead of declining it."), code="wrong_side", status=409
        )
    return _close(
        grant, actor=actor, side=side, status=GrantStatus.DECLINED, action=CreditAction.GRANT_DECLINED
    )


@transaction.atomic
def grant_withdraw(*, grant: ShowProviderGrant, actor: User, side: Side) -> ShowProviderGrant:
    grant = _locked(grant)
    _check_side(actor=actor, side=side, show=grant.show, provider=grant.provider)
    _require_pending(grant)
    if _waits_for(grant) == side:
        raise GrantError(
            _("The other side sent this one: decline it instead of withdrawing it."),
            code="wrong_side",
            status=409,
        )
    return _close(
        grant, actor=actor, side=side, status=GrantStatus.WITHDRAWN, action=CreditAction.GRANT_WITHDRAWN
    )


@transaction.atomic
def grant_revoke(*, grant: ShowProviderGrant, actor: User, side: Side) -> ShowProviderGrant:
    """End an active grant (either side): no new activities, no changes to existing ones."""
    grant = _locked(grant)
    _check_side(actor=actor, side=side, show=grant.show, provider=grant.provider)
    if grant.status in GRANT_PENDING_STATUSES:
        raise GrantError(
            _("This is not active yet: decline or withdraw it instead."), code="not_active", status=409
        )
    if grant.status != GrantStatus.ACTIVE:
        raise GrantError(_closed_message(grant), code="closed", status=409)
    today = timezone.localdate()
    running = Activity.objects.filter(
        episode__show=grant.show, provider=grant.provider, expiry_date__gte=today
    ).values_list("pk", flat=True)
    return _close(
        grant,
        actor=actor,
        side=side,
        status=GrantStatus.REVOKED,
        action=CreditAction.GRANT_REVOKED,
        activities_running=list(running),
    )


def _close(
    grant: ShowProviderGrant, *, actor: User, side: Side, status: GrantStatus, action: str, **data
) -> ShowProviderGrant:
    grant.status = status
    grant.closed_by = actor
    grant.closed_at = timezone.now()
    grant.save(update_fields=["status", "closed_by", "closed_at"])
    _audit(grant, actor=actor, action=action, side=side, **data)
    return grant


@transaction.atomic
def grant_record_active(
    *, show: Show, provider: Provider, actor: User | None, note: str = ""
) -> ShowProviderGrant:
    """An active grant recorded without the two-step exchange, for set-ups outside the web pages
    (the demo seed, data imports, tests). Idempotent: an existing active grant is returned as is."""
    existing = (
        ShowProviderGrant.objects.select_for_update()
        .filter(show=show, provider=provider, status__in=GRANT_OPEN_STATUSES)
        .first()
    )
    now = timezone.now()
    if existing is not None and existing.status == GrantStatus.ACTIVE:
        return existing
    if existing is not None:
        existing.status = GrantStatus.ACTIVE
        existing.accepted_by = actor
        existing.accepted_at = now
        existing.save(update_fields=["status", "accepted_by", "accepted_at"])
        grant = existing
    else:
        grant = ShowProviderGrant.objects.create(
            show=show,
            provider=provider,
            status=GrantStatus.ACTIVE,
            message=note[:MESSAGE_MAX_CHARS],
            requested_by=actor,
            requested_at=now,
            accepted_by=actor,
            accepted_at=now,
        )
    _audit(
        grant,
        actor=actor,
        action=CreditAction.GRANT_RECORDED_ACTIVE,
        side=None,
        note=note[:MESSAGE_MAX_CHARS],
    )
    return grant


def grant_recent_close(*, show_id: int, provider_id: int) -> ShowProviderGrant | None:
    """The latest ended grant of a pair (for the notice on a locked activity)."""
    return (
        ShowProviderGrant.objects.filter(show_id=show_id, provider_id=provider_id, closed_at__isnull=False)
        .order_by("-closed_at", "-id")
        .first()
    )
