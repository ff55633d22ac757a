"""Reads for institutional access: seats, memberships, invitations, and what an institution's admin sees."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User

from .models import Institution, InstitutionAdmin, Membership, SeatLicence


def current_licences(institution: Institution, *, at: datetime | None = None) -> QuerySet[SeatLicence]:
    """Licences in force at ``at``: started, not yet expired, not ended early (refund, staff)."""
    at = at or timezone.now()
    return SeatLicence.objects.filter(institution=institution, valid_from__lte=at, valid_until__gt=at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )


def current_memberships(institution: Institution) -> QuerySet[Membership]:
    return Membership.objects.filter(institution=institution, ended_at__isnull=True)


@dataclass(frozen=True)
class SeatUse:
    bought: int  # seats of the licences current now
    used: int  # current memberships
    expires_at: datetime | None  # when the last current licence ends

    @property
    def free(self) -> int:
        return max(self.bought - self.used, 0)


def seat_use(institution: Institution, *, at: datetime | None = None) -> SeatUse:
    """Seats bought (current licences), used (current members), free, and the last expiry."""
    licences = current_licences(institution, at=at)
    totals = licences.aggregate(seats=Sum("seats"))
    last = licences.order_by("-valid_until").values_list("valid_until", flat=True).first()
    used = current_memberships(institution).count()
    return SeatUse(bought=totals["seats"] or 0, used=used, expires_at=last)


def current_membership(*, institution: Institution, user: User) -> Membership | None:
    return Membership.objects.filter(institution=institution, user=user, ended_at__isnull=True).first()


def is_institution_admin(*, institution: Institution, user: User) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return InstitutionAdmin.objects.filter(institution=institution, user=user).exists()


def covering_membership(*, user: User, provider_id: int, at: datetime | None = None) -> Membership | None:
    """The current membership that covers ``user`` for ``provider_id``'s fees, if any: a member of an
    institution of that provider which holds at least one current seat licence. (billing's coverage
    rule, billing.services.is_covered, asks this beside the learner's own annual pass.)"""
    at = at or timezone.now()
    live = SeatLicence.objects.filter(valid_from__lte=at, valid_until__gt=at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )
    return (
        Membership.objects.filter(
            user=user,
            ended_at__isnull=True,
            institution__provider_id=provider_id,
            institution__licences__in=live,
        )
        .select_related("institution")
        .first()
    )
