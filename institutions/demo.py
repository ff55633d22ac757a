"""The demo institution (issue 18, item 7): Mercy General Hospital holds 25 seats of the demo provider,
with the demo admin as its institution admin, a couple of members who joined through their verified
hospital address (the first shares their completions, the others do not), and one pending invitation.

Called by podcastcme's seed_demo; idempotent (a second run changes nothing). Everything goes through
the services, so each row has its audit row. The demo learners claimed the demo activity about 100
days ago (credits.demo), so the hospital's contract and their memberships are then dated before those
claims (backdate_demo_institution, demo only): the admin page shows the consenting learner's
completion, which it would not if they had joined after claiming.
"""

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from credits.models import CreditClaim, Provider

from . import selectors, services
from .invitations import invitations_send
from .models import Institution, JoinedVia, Membership, SeatLicence

NAME = "Mercy General Hospital"
SLUG = "mercy-general"
DOMAIN = "mercy-general.example.org"
SEATS = 25
PENDING_INVITE = f"new.resident@{DOMAIN}"


def _hospital_address(user: User) -> str:
    """The member's address at the hospital, added to their account and verified (as a clinician
    would verify their work address), so they join by the domain rule."""
    local = user.email.split("@", 1)[0]
    return f"{local}@{DOMAIN}"


@transaction.atomic
def seed_demo_institution(*, provider: Provider, admin_user: User, member_users: list[User]) -> Institution:
    institution = Institution.objects.filter(slug=SLUG).first()
    if institution is None:
        institution = services.institution_save(
            institution=Institution(name=NAME, slug=SLUG, provider=provider, email_domains=[DOMAIN]),
            actor=None,
        )
    services.institution_admin_add(institution=institution, user=admin_user, actor=None)
    now = timezone.now()
    # The seats started two months ago (a contract staff recorded), so the members' claims of the
    # last weeks fall inside their membership and the consenting member's show on the admin page.
    start = now - timedelta(days=60)
    if not SeatLicence.objects.filter(institution=institution, order_reference="", seats=SEATS).exists():
        services.licence_grant(
            institution=institution,
            seats=SEATS,
            valid_from=start,
            valid_until=start + timedelta(days=365),
            actor=None,
        )
    for n, user in enumerate(member_users):
        address = _hospital_address(user)
        if not EmailAddress.objects.filter(email__iexact=address).exclude(user=user).exists():
            EmailAddress.objects.update_or_create(
                user=user, email=address, defaults={"verified": True, "primary": False}
            )
        membership = selectors.current_membership(institution=institution, user=user)
        if membership is None:
            membership = services.membership_join(
                institution=institution, user=user, via=JoinedVia.DOMAIN, at=start + timedelta(days=1)
            )
        if n == 0:
            services.membership_consent_set(membership=membership, user=user, shares_completions=True)
    if not [i for i in selectors.pending_invitations(institution) if i.email == PENDING_INVITE]:
        invitations_send(institution=institution, emails=[PENDING_INVITE], actor=admin_user)
    backdate_demo_institution(institution=institution, joined_at=demo_joined_at(provider, member_users))
    return institution


# How long before the members' first claim of the provider's activities they joined the hospital's
# seats (and its contract started a day earlier); never later than 60 days ago.
JOINED_BEFORE_FIRST_CLAIM = timedelta(days=14)


def demo_joined_at(provider: Provider, member_users: list[User]) -> datetime:
    """When the demo members joined: two weeks before the first of their claims of ``provider``'s
    activities (the demo claims are about 100 days old), or 60 days ago if that is earlier still."""
    first_claim = (
        CreditClaim.objects.filter(activity__provider=provider, learner__in=member_users)
        .order_by("claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    latest = timezone.now() - timedelta(days=60)
    return min(latest, first_claim - JOINED_BEFORE_FIRST_CLAIM) if first_claim else latest


def _demo_only() -> None:
    if not settings.PODCASTCME_DEMO_ALLOWED:
        raise ImproperlyConfigured(
            "Demo records are moved in time only on a demo site (PODCASTCME_DEMO_ALLOWED)."
        )


def _redate_audit(obj: models.Model, at: datetime, actions: list[str]) -> None:
    # Audit rows are append-only everywhere else; the demo replays past days, so it goes around the
    # guard on purpose (as credits.demo does), for these records' rows only.
    rows = AuditEvent._base_manager.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=actions, created_at__gt=at
    )
    models.QuerySet.update(rows, created_at=at)


@transaction.atomic
def backdate_demo_institution(*, institution: Institution, joined_at: datetime) -> bool:
    """Move the demo hospital back so that its members joined at ``joined_at`` (demo only): the
    institution and its admin a day before, the staff-granted licence starting then (a one-year
    contract, moved whole), each current membership joined at ``joined_at`` and the consenting
    member's consent given five minutes later (the others' left off at joining), with the audit rows
    about these records.

    Idempotent and one way: nothing happens to a record already at or before its new date (a second
    seed_demo moves nothing). Refused outside a demo site, and for any institution but the demo's own
    (``SLUG``): a real institution's history is never re-dated. Returns whether it moved anything."""
    _demo_only()
    institution = Institution.objects.get(pk=institution.pk)
    if institution.slug != SLUG:
        raise ImproperlyConfigured(
            f"Only the demo institution ({SLUG}) is moved in time, not {institution.slug!r}."
        )
    contract_at = joined_at - timedelta(days=1)
    moved = False
    if institution.created_at > contract_at:
        Institution.objects.filter(pk=institution.pk).update(created_at=contract_at)
        _redate_audit(institution, contract_at, ["institution.created", "institution.admin_added"])
        institution.admins.filter(added_at__gt=contract_at).update(added_at=contract_at)
        moved = True
    for licence in SeatLicence.objects.filter(
        institution=institution, order_reference="", seats=SEATS, valid_from__gt=contract_at
    ):
        shift = licence.valid_from - contract_at
        SeatLicence.objects.filter(pk=licence.pk).update(
            valid_from=contract_at, valid_until=licence.valid_until - shift, created_at=contract_at
        )
        _redate_audit(licence, contract_at, ["seat_licence.granted"])
        moved = True
    for membership in Membership.objects.filter(
        institution=institution, ended_at__isnull=True, joined_at__gt=joined_at
    ):
        consent_at = joined_at + timedelta(minutes=5)
        Membership.objects.filter(pk=membership.pk).update(
            joined_at=joined_at, consent_changed_at=consent_at if membership.shares_completions else joined_at
        )
        _redate_audit(membership, joined_at, ["membership.joined"])
        _redate_audit(membership, consent_at, ["membership.consent_changed"])
        moved = True
    return moved
