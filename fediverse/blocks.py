"""Blocked domains: servers nobody here delivers to or accepts from.

The operator blocks a domain for the whole site (``manage.py fediverse_block``, the admin); a host
blocks one for their show (the show's fediverse page). A block covers the domain's subdomains,
ends the follows from there and stops the deliveries still waiting for them. Audited both ways."""

import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from credits.errors import ServiceError
from episodes.models import Show

from .audit_actions import FediverseAction
from .models import BlockedDomain, Delivery, Follower

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+{_LABEL}$|^localhost$")


class BlockError(ServiceError):
    """A block or unblock that cannot be done (not a domain, already blocked, not blocked)."""


def ascii_domain(host: str) -> str:
    """A host as blocks store it: lower case, no trailing dot, IDNA (``Münch.en.`` -> ``xn--mnch-kva.en``);
    unchanged past lower case and the dot when IDNA cannot encode it."""
    value = (host or "").strip().lower().rstrip(".")
    try:
        return value.encode("idna").decode("ascii")
    except UnicodeError:
        return value


def normalise_domain(domain: str) -> str:
    """``Mastodon.Example.`` -> ``mastodon.example`` (IDNA for non-ASCII names); BlockError if it
    is not a domain name (a URL is accepted and reduced to its host)."""
    value = (domain or "").strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = value.split("/", 1)[0].split("@")[-1].rstrip(".")
    if ":" in value:
        value = value.split(":", 1)[0]
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError:
        raise BlockError(_("%(domain)s is not a domain name.") % {"domain": domain}) from None
    if len(value) > 253 or not _DOMAIN.match(value):
        raise BlockError(
            _("%(domain)s is not a domain name (like mastodon.example).") % {"domain": domain or _("(empty)")}
        )
    return value


def _suffixes(domain: str) -> list[str]:
    """``a.b.example`` -> ``a.b.example``, ``b.example``, ``example``: a block of any covers it."""
    labels = ascii_domain(domain).split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _covered(field: str, domain: str) -> Q:
    """Rows whose ``field`` (a domain) is ``domain`` or one of its subdomains."""
    return Q(**{field: domain}) | Q(**{f"{field}__endswith": "." + domain})


def is_blocked(domain: str, *, show: Show | None = None) -> bool:
    """True when ``domain`` (or a domain it belongs to) is blocked site-wide, or for ``show``."""
    if not domain:
        return False
    scope = Q(show__isnull=True) if show is None else Q(show__isnull=True) | Q(show=show)
    return BlockedDomain.objects.filter(scope, domain__in=_suffixes(domain)).exists()


def blocked_domains(*, show: Show | None = None) -> list[str]:
    """The domains blocked site-wide, and for ``show`` when given."""
    scope = Q(show__isnull=True) if show is None else Q(show__isnull=True) | Q(show=show)
    return list(BlockedDomain.objects.filter(scope).values_list("domain", flat=True))


def is_blocked_by(domain: str, blocked: list[str]) -> bool:
    """``is_blocked`` against a list read once (for a loop over many inboxes)."""
    return any(suffix in blocked for suffix in _suffixes(domain)) if domain else False


def domain_block(*, domain: str, show: Show | None = None, by, reason: str = "") -> BlockedDomain:
    """Block ``domain`` for ``show`` (or site-wide when None): end the follows from there and mark
    the waiting deliveries to there as not sent."""
    name = normalise_domain(domain)
    reason = (reason or "").strip()[:255]
    with transaction.atomic():
        if BlockedDomain.objects.filter(domain=name, show=show).exists():
            raise BlockError(_("%(domain)s is already blocked.") % {"domain": name})
        block = BlockedDomain.objects.create(domain=name, show=show, reason=reason, created_by=by)
        now = timezone.now()
        follows = Follower.objects.filter(_covered("actor__domain", name), ended_at__isnull=True)
        if show is not None:
            follows = follows.filter(show=show)
        ended = list(follows.select_related("actor", "show"))
        Follower.objects.filter(pk__in=[f.pk for f in ended]).update(ended_at=now)
        waiting = Delivery.objects.filter(_covered("domain", name), status=Delivery.Status.PENDING)
        if show is not None:
            waiting = waiting.filter(show=show)
        stopped = waiting.update(status=Delivery.Status.BLOCKED, last_error=_("Domain blocked."))
        audit_record(
            actor=by,
            action=FediverseAction.DOMAIN_BLOCKED,
            obj=show if show is not None else block,
            data={
                "domain": name,
                "site_wide": show is None,
                "reason": reason,
                "follows_ended": len(ended),
                "deliveries_stopped": stopped,
            },
        )
        for follow in ended:
            audit_record(
                actor=by,
                action=FediverseAction.FOLLOW_ENDED,
                obj=follow,
                data={"actor": follow.actor.url, "show": follow.show.slug, "why": "domain blocked"},
            )
    return block


def domain_unblock(*, domain: str, show: Show | None = None, by) -> None:
    """Lift the block of ``domain`` for ``show`` (or the site-wide one). Follows it ended stay
    ended: the remote users follow again if they wish."""
    name = normalise_domain(domain)
    with transaction.atomic():
        block = BlockedDomain.objects.filter(domain=name, show=show).select_for_update().first()
        if block is None:
            raise BlockError(_("%(domain)s is not blocked.") % {"domain": name})
        audit_record(
            actor=by,
            action=FediverseAction.DOMAIN_UNBLOCKED,
            obj=show if show is not None else block,
            data={"domain": name, "site_wide": show is None, "reason_was": block.reason},
        )
        block.delete()
