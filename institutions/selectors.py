"""Reads for institutional access: seats, memberships, invitations, and what an institution's admin sees."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from credits.models import CreditClaim

from .models import Institution, InstitutionAdmin, Invitation, Membership, SeatLicence


def current_licences_all(*, at: datetime) -> QuerySet[SeatLicence]:
    """Every institution's licences in force at ``at``: started, not yet expired, not ended early."""
    return SeatLicence.objects.filter(valid_from__lte=at, valid_until__gt=at).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=at)
    )


def current_licences(institution: Institution, *, at: datetime | None = None) -> QuerySet[SeatLicence]:
    """Licences in force at ``at``: started, not yet expired, not ended early (refund, staff)."""
    return current_licences_all(at=at or timezone.now()).filter(institution=institution)


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


def removal_bar(*, institution: Institution, user: User) -> Membership | None:
    """The membership an admin of ``institution`` ended by removing ``user``, while that still bars
    them from joining again by domain or SSO (no invitation since lifted it); else None."""
    return (
        Membership.objects.filter(
            institution=institution, user=user, removed_at__isnull=False, readmitted_at__isnull=True
        )
        .order_by("-removed_at")
        .first()
    )


def barred_institution_ids(*, user: User) -> set[int]:
    """The institutions whose admins removed ``user`` and have not invited them again."""
    return set(
        Membership.objects.filter(
            user=user, removed_at__isnull=False, readmitted_at__isnull=True
        ).values_list("institution_id", flat=True)
    )


def is_institution_admin(*, institution: Institution, user: User) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return InstitutionAdmin.objects.filter(institution=institution, user=user).exists()


def covering_membership(*, user: User, provider_id: int, at: datetime | None = None) -> Membership | None:
    """The current membership that covers ``user`` for ``provider_id``'s fees, if any: a member of an
    institution of that provider whose current seat licences have a seat for them. (billing's coverage
    rule, billing.services.is_covered, asks this beside the learner's own annual pass.)

    The seats cover the current members in the order they joined, up to the seats of the licences
    current at ``at``: after a licence ends early (a refund) or runs out while a smaller one is
    current, members beyond the seats stay members but are not covered until a seat is free (else
    buying 100 seats, filling them and refunding all but one would cover 100 people for one seat).
    One query."""
    at = at or timezone.now()
    live = current_licences_all(at=at)
    bought = (
        live.filter(institution=OuterRef("institution"))
        .values("institution")
        .annotate(total=Sum("seats"))
        .values("total")
    )
    ahead = (
        Membership.objects.filter(institution=OuterRef("institution"), ended_at__isnull=True)
        .filter(
            Q(joined_at__lt=OuterRef("joined_at")) | Q(joined_at=OuterRef("joined_at"), pk__lt=OuterRef("pk"))
        )
        .values("institution")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Membership.objects.filter(user=user, ended_at__isnull=True, institution__provider_id=provider_id)
        .annotate(
            bought=Coalesce(Subquery(bought), Value(0)),
            ahead=Coalesce(Subquery(ahead), Value(0)),
        )
        .filter(bought__gt=F("ahead"))
        .select_related("institution")
        .order_by("joined_at", "pk")
        .first()
    )


def _domains(user: User, *, verified: bool) -> set[str]:
    emails = EmailAddress.objects.filter(user=user, verified=verified).values_list("email", flat=True)
    return {email.rsplit("@", 1)[-1].lower() for email in emails if "@" in email}


def _with_domains(domains: set[str]) -> list[Institution]:
    # email_domains is a short JSON list; matched here rather than in SQL (SQLite has no JSON
    # containment lookup), over the institutions' names and domains only.
    if not domains:
        return []
    return [
        institution
        for institution in Institution.objects.select_related("provider").only(
            "name", "slug", "email_domains", "provider__name"
        )
        if domains & {str(d).lower() for d in institution.email_domains or []}
    ]


def eligible_institutions(*, user: User) -> list[Institution]:
    """Institutions the learner may join by a *verified* address at one of their domains (members or
    not; the page says which)."""
    return _with_domains(_domains(user, verified=True))


def unverified_domain_institutions(*, user: User) -> list[Institution]:
    """Institutions whose domain matches one of the learner's *unverified* addresses (to say: verify)."""
    return _with_domains(_domains(user, verified=False) - _domains(user, verified=True))


def learner_memberships(*, user: User) -> list[Membership]:
    """The learner's memberships, current first, then ended (history)."""
    return list(
        Membership.objects.filter(user=user)
        .select_related("institution", "institution__provider")
        .order_by(F("ended_at").desc(nulls_first=True), "-joined_at")
    )


# --- What an institution's admin sees -------------------------------------------------------------


def person_name(user: User) -> str:
    """The legal name on the learner's profile, or '' (the page then shows the address alone)."""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return ""
    return profile.legal_name if profile is not None else ""


def admin_institutions(*, user: User) -> list[Institution]:
    return list(Institution.objects.filter(admins__user=user).order_by("name"))


def institution_members(institution: Institution) -> list[Membership]:
    """Current members with their account and profile (two queries whatever the number)."""
    return list(
        current_memberships(institution).select_related("user", "user__profile").order_by("joined_at", "pk")
    )


def former_members(institution: Institution, *, limit: int = 50) -> list[Membership]:
    return list(
        Membership.objects.filter(institution=institution, ended_at__isnull=False)
        .select_related("user", "user__profile")
        .order_by("-ended_at")[:limit]
    )


def removed_members(institution: Institution, *, limit: int = 50) -> list[Membership]:
    """Members the institution's admins removed and have not invited again (newest removal first):
    they cannot rejoin by domain or SSO until invited."""
    return list(
        Membership.objects.filter(
            institution=institution, removed_at__isnull=False, readmitted_at__isnull=True
        )
        .select_related("user", "user__profile")
        .order_by("-removed_at", "-pk")[:limit]
    )


def pending_invitations(institution: Institution, *, at: datetime | None = None) -> list[Invitation]:
    at = at or timezone.now()
    return list(
        Invitation.objects.filter(
            institution=institution, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at
        ).order_by("-created_at")
    )


@dataclass(frozen=True)
class Completion:
    membership: Membership
    activity_title: str
    claimed_at: datetime
    credits: Decimal
    credit_type: str  # its label ("AMA PRA Category 1 Credit™")


def shared_completions(institution: Institution, members: list[Membership]) -> list[Completion]:
    """The claims of the provider's activities made by members *who consented*, since they joined,
    newest first; one query whatever the number of members. Members who did not consent contribute
    nothing here (the page says "not shared")."""
    sharing = {m.user_id: m for m in members if m.shares_completions and m.ended_at is None}
    if not sharing:
        return []
    claims = (
        CreditClaim.objects.filter(
            activity__provider_id=institution.provider_id, learner_id__in=list(sharing)
        )
        .select_related("activity")
        .only("learner_id", "claimed_at", "credits", "credit_type", "activity__title")
        .order_by("-claimed_at", "-pk")
    )
    return [
        Completion(
            membership=sharing[claim.learner_id],
            activity_title=claim.activity.title,
            claimed_at=claim.claimed_at,
            credits=claim.credits,
            credit_type=str(claim.get_credit_type_display()),
        )
        for claim in claims
        if claim.claimed_at >= sharing[claim.learner_id].joined_at
    ]


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    name: str
    completions: int | None  # None: the member does not share them


@dataclass(frozen=True)
class AdminPage:
    institution: Institution
    seats: SeatUse
    licences: list[SeatLicence]
    members: list[Membership]
    rows: list[MemberRow]
    former: list[Membership]
    removed: list[Membership]
    invitations: list[Invitation]
    completions: list[Completion]


def admin_page(institution: Institution) -> AdminPage:
    """Everything the institution admin's page shows, in a fixed number of queries."""
    members = institution_members(institution)
    completions = shared_completions(institution, members)
    counts: dict[int, int] = {}
    for row in completions:
        counts[row.membership.pk] = counts.get(row.membership.pk, 0) + 1
    rows = [
        MemberRow(
            membership=m,
            name=person_name(m.user),
            completions=counts.get(m.pk, 0) if m.shares_completions else None,
        )
        for m in members
    ]
    return AdminPage(
        institution=institution,
        seats=seat_use(institution),
        licences=list(SeatLicence.objects.filter(institution=institution).order_by("-valid_from")[:20]),
        members=members,
        rows=rows,
        former=former_members(institution),
        removed=removed_members(institution),
        invitations=pending_invitations(institution),
        completions=completions,
    )
