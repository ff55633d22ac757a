"""Writes for institutional access: joining and leaving (seats), consent, licences, invitations.

Every write is one service here, in one transaction, with one audit row per record changed.
Joining takes the locks in the project's one order (accounts/locks.py): the learner's row first,
then the institution's row, so two learners racing for the last seat wait for each other and the
second one is refused; no network call is made while they are held.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.models import User
from audit.services import audit_record

from . import selectors
from .audit_actions import InstitutionAction
from .errors import InstitutionError
from .models import Institution, InstitutionAdmin, JoinedVia, Membership, SeatLicence


def _lock_institution(institution: Institution) -> Institution:
    return Institution.objects.select_for_update().get(pk=institution.pk)


@transaction.atomic
def membership_join(
    *,
    institution: Institution,
    user: User,
    via: str,
    at: datetime | None = None,
    shares_completions: bool = False,
) -> Membership:
    """Give ``user`` a seat at ``institution``; ``via`` is a JoinedVia value (invitation, domain, sso).

    The caller has checked the route (an accepted invitation, a verified address at one of the
    institution's domains, a single sign-on login). Refused with InstitutionError ``already_member``
    (a current membership exists), ``removed`` (an admin removed the learner and no invitation has
    lifted the bar since: membership_readmit; whatever ``via``, so an invitation must lift it first)
    or ``no_seat`` (every seat of the current licences is taken, or
    none is current). ``shares_completions`` is the learner's consent, off unless they said yes."""
    if via not in JoinedVia.values:
        raise InstitutionError(_("Unknown way of joining: %(via)s.") % {"via": via}, code="invalid")
    at = at or timezone.now()
    lock_learner(user.pk)
    institution = _lock_institution(institution)
    if selectors.current_membership(institution=institution, user=user) is not None:
        raise InstitutionError(
            _("You are already a member of %(name)s.") % {"name": institution.name},
            code="already_member",
            status=409,
        )
    bar = selectors.removal_bar(institution=institution, user=user)
    if bar is not None and bar.removed_at is not None:
        raise InstitutionError(
            _(
                "%(name)s's CME office removed you from its seats on %(date)s, so you cannot take a "
                "seat again by your email address or single sign-on. Ask them to invite you again."
            )
            % {"name": institution.name, "date": f"{bar.removed_at:%Y-%m-%d}"},
            code="removed",
            status=403,
        )
    seats = selectors.seat_use(institution, at=at)
    if seats.free < 1:
        raise InstitutionError(
            _(
                "%(name)s has no free seat left (%(used)s of %(bought)s taken). "
                "Ask your institution's CME office to buy more seats."
            )
            % {"name": institution.name, "used": seats.used, "bought": seats.bought},
            code="no_seat",
            status=409,
        )
    membership = Membership.objects.create(
        institution=institution,
        user=user,
        joined_via=via,
        joined_at=at,
        shares_completions=shares_completions,
        consent_changed_at=at,
    )
    audit_record(
        actor=user,
        action=InstitutionAction.MEMBERSHIP_JOINED,
        obj=membership,
        data={"institution": institution.slug, "via": via, "shares_completions": shares_completions},
    )
    return membership


@transaction.atomic
def membership_end(
    *, membership: Membership, actor: User | None, reason: str = "", removed: bool = False
) -> Membership:
    """End a membership (the learner leaves, or an admin removes them): the seat is free again, the
    row stays as history. Ending an ended membership changes nothing.

    ``removed``: the institution's admin removed the member (``actor`` is that admin). The row keeps
    ``removed_at``, which bars the learner from taking a seat again by their email domain or single
    sign-on until an admin invites them again (membership_readmit); leaving, or an account deletion,
    bars nothing."""
    lock_learner(membership.user_id)
    membership = Membership.objects.select_for_update().select_related("institution").get(pk=membership.pk)
    if membership.ended_at is not None:
        return membership
    membership.ended_at = timezone.now()
    fields = ["ended_at"]
    if removed:
        membership.removed_at = membership.ended_at
        fields.append("removed_at")
    membership.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=InstitutionAction.MEMBERSHIP_ENDED,
        obj=membership,
        data={
            "institution": membership.institution.slug,
            "by": "learner" if actor is not None and actor.pk == membership.user_id else "admin",
            "reason": reason,
            "removed": removed,
        },
    )
    return membership


@transaction.atomic
def membership_readmit(
    *, institution: Institution, user: User, actor: User | None, invitation_id: int | None = None
) -> list[Membership]:
    """Lift the bar an admin's removal put on ``user`` at ``institution`` (an admin invited them
    again): they may take a seat again by any route. Audited per membership; returns those lifted
    (none when nothing barred them)."""
    lock_learner(user.pk)
    now = timezone.now()
    lifted = list(
        Membership.objects.select_for_update().filter(
            institution=institution, user=user, removed_at__isnull=False, readmitted_at__isnull=True
        )
    )
    for membership in lifted:
        membership.readmitted_at = now
        membership.save(update_fields=["readmitted_at"])
        audit_record(
            actor=actor,
            action=InstitutionAction.MEMBERSHIP_READMITTED,
            obj=membership,
            data={"institution": institution.slug, "invitation": invitation_id},
        )
    return lifted


@transaction.atomic
def membership_consent_set(*, membership: Membership, user: User, shares_completions: bool) -> Membership:
    """The learner says whether the institution's admins may see their completions; only the member
    themself can change it, any time while the membership is current."""
    if membership.user_id != user.pk:
        raise InstitutionError(_("Only the member can change this."), code="forbidden", status=403)
    lock_learner(user.pk)
    membership = Membership.objects.select_for_update().select_related("institution").get(pk=membership.pk)
    if membership.ended_at is not None:
        raise InstitutionError(_("This membership has ended."), code="not_member", status=409)
    if membership.shares_completions == shares_completions:
        return membership
    membership.shares_completions = shares_completions
    membership.consent_changed_at = timezone.now()
    membership.save(update_fields=["shares_completions", "consent_changed_at"])
    audit_record(
        actor=user,
        action=InstitutionAction.MEMBERSHIP_CONSENT_CHANGED,
        obj=membership,
        data={"institution": membership.institution.slug, "shares_completions": shares_completions},
    )
    return membership


# --- Seat licences --------------------------------------------------------------------------------


def check_seats(seats: object) -> int:
    """A number of seats for one licence: a whole number from 1 to INSTITUTIONS["MAX_SEATS_PER_LICENCE"]."""
    limit = settings.INSTITUTIONS["MAX_SEATS_PER_LICENCE"]
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= limit:
        raise InstitutionError(
            _("The number of seats must be a whole number from 1 to %(limit)s.") % {"limit": limit},
            code="invalid_seats",
        )
    return seats


@transaction.atomic
def licence_grant(
    *,
    institution: Institution,
    seats: int,
    valid_from: datetime,
    valid_until: datetime,
    actor: User | None,
    order_reference: str = "",
) -> SeatLicence:
    """Add a block of seats: bought (``order_reference``, from billing's webhook, actor None) or
    granted by staff in the admin (actor the staff member). Audited either way."""
    seats = check_seats(seats)
    if valid_until <= valid_from:
        raise InstitutionError(_("A licence must end after it starts."), code="invalid_period")
    licence = SeatLicence.objects.create(
        institution=institution,
        seats=seats,
        valid_from=valid_from,
        valid_until=valid_until,
        order_reference=order_reference,
    )
    audit_record(
        actor=actor,
        action=InstitutionAction.LICENCE_BOUGHT if order_reference else InstitutionAction.LICENCE_GRANTED,
        obj=licence,
        data={
            "institution": institution.slug,
            "seats": seats,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "order": order_reference,
        },
    )
    return licence


@transaction.atomic
def licence_end(*, licence: SeatLicence, actor: User | None, reason: str) -> SeatLicence:
    """End a licence early (a refund, or staff); its seats stop counting now. Current members keep
    their membership: nobody is removed by a refund, but nobody new joins until a seat is free."""
    licence = SeatLicence.objects.select_for_update().get(pk=licence.pk)
    if licence.ended_at is not None:
        return licence
    licence.ended_at = timezone.now()
    licence.save(update_fields=["ended_at"])
    audit_record(
        actor=actor,
        action=InstitutionAction.LICENCE_ENDED,
        obj=licence,
        data={"institution": licence.institution.slug, "reason": reason, "order": licence.order_reference},
    )
    return licence


# --- Institutions and their admins (staff, in Django's admin) ---------------------------------------


def clean_domains(domains: object) -> list[str]:
    """Email domains as stored: lower-case, each once; refused when one is not a plain domain name
    (no "@", no scheme, at least one dot)."""
    if isinstance(domains, str):
        domains = [d for d in domains.replace(",", " ").split()]
    if not isinstance(domains, list | tuple):
        raise InstitutionError(_("Email domains must be a list of domain names."), code="invalid_domain")
    cleaned: list[str] = []
    for raw in domains:
        domain = str(raw).strip().lower().lstrip("@").rstrip(".")
        labels = domain.split(".")
        if (
            len(labels) < 2
            or len(domain) > 253
            or not all(label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
            or any(label.startswith("-") or label.endswith("-") for label in labels)
        ):
            raise InstitutionError(
                _("“%(domain)s” is not an email domain like hospital.org.") % {"domain": str(raw)[:100]},
                code="invalid_domain",
            )
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def _snapshot(institution: Institution) -> dict[str, object]:
    return {
        "name": institution.name,
        "slug": institution.slug,
        "provider": institution.provider_id,
        "email_domains": list(institution.email_domains or []),
    }


@transaction.atomic
def institution_save(*, institution: Institution, actor: User | None) -> Institution:
    """Create or change an institution (staff, in the admin), audited with what changed."""
    institution.email_domains = clean_domains(institution.email_domains or [])
    old = Institution.objects.filter(pk=institution.pk).first() if institution.pk else None
    before = _snapshot(old) if old is not None else None
    institution.full_clean(exclude=["sso_app"])
    institution.save()
    after = _snapshot(institution)
    if before is None:
        audit_record(actor=actor, action=InstitutionAction.INSTITUTION_CREATED, obj=institution, data=after)
    elif before != after:
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        audit_record(actor=actor, action=InstitutionAction.INSTITUTION_CHANGED, obj=institution, data=changed)
    return institution


@transaction.atomic
def institution_admin_add(*, institution: Institution, user: User, actor: User | None) -> InstitutionAdmin:
    row, created = InstitutionAdmin.objects.get_or_create(institution=institution, user=user)
    if created:
        audit_record(
            actor=actor,
            action=InstitutionAction.INSTITUTION_ADMIN_ADDED,
            obj=institution,
            data={"user": user.pk, "email": user.email},
        )
    return row


@transaction.atomic
def institution_admin_remove(*, row: InstitutionAdmin, actor: User | None) -> None:
    """An admin role is not a record of learning: the row goes, the audit row stays."""
    institution, user = row.institution, row.user
    row.delete()
    audit_record(
        actor=actor,
        action=InstitutionAction.INSTITUTION_ADMIN_REMOVED,
        obj=institution,
        data={"user": user.pk, "email": user.email},
    )
