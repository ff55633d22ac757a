"""Invitations by email and joining by a verified email domain: the two ways in besides single sign-on.

An invitation's link carries a random 256-bit token; only its SHA-256 is stored (Invitation.token_hash),
so the link cannot be rebuilt from the database, and any change to it finds nothing. A link works
once, until it expires (INSTITUTIONS["INVITATION_DAYS"]), unless revoked. Accepting needs a login
whose account has the invited address *verified* (allauth's EmailAddress): the link is not a key to
a seat for whoever holds it.
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.mail import email_queue
from accounts.models import User
from audit.services import audit_record

from . import selectors
from .audit_actions import InstitutionAction
from .errors import InstitutionError
from .models import Institution, Invitation, JoinedVia, Membership
from .services import membership_join, membership_readmit

EMAIL_KIND = "institutions/email/invitation"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("institutions:invitation", args=[token])


def parse_addresses(text: str) -> list[str]:
    """The addresses in ``text`` (separated by commas, semicolons, spaces or lines), lower-cased, each
    once, in order. Refused as a whole (nothing sent) when one is not an address, with all the bad
    ones named, or when there are more than INSTITUTIONS["MAX_INVITATIONS_PER_SEND"]."""
    raw = [part.strip() for part in text.replace(";", ",").replace("\n", ",").replace(" ", ",").split(",")]
    addresses = list(dict.fromkeys(part.lower() for part in raw if part))
    if not addresses:
        raise InstitutionError(_("Enter at least one email address."), code="invalid_email")
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
            continue
        if len(address) > 254 or len(address.split("@", 1)[0]) > 64:  # RFC 5321 limits, and the column's
            bad.append(address[:80] + "…")
    if bad:
        raise InstitutionError(
            _("Not an email address: %(bad)s. Nothing was sent.") % {"bad": ", ".join(bad[:10])},
            code="invalid_email",
        )
    limit = settings.INSTITUTIONS["MAX_INVITATIONS_PER_SEND"]
    if len(addresses) > limit:
        raise InstitutionError(
            _("At most %(n)s addresses at a time. Nothing was sent.") % {"n": limit}, code="too_many"
        )
    return addresses


def _invitation_email(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    context = {
        "institution": invitation.institution,
        "provider": invitation.institution.provider,
        "url": invitation_url(token),
        "expires_at": invitation.expires_at,
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX
        + _("%(institution)s invites you to its CME seats") % {"institution": invitation.institution.name},
        body=render_to_string("institutions/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("institutions/email/invitation.html", context), "text/html")
    return message


@transaction.atomic
def invitations_send(*, institution: Institution, emails: Iterable[str], actor: User) -> list[Invitation]:
    """Invite each address (already parsed by parse_addresses): one link each, emailed through the
    outbox after the commit. An address with a pending invitation gets a new link (the old one is
    revoked: the newest email is the one that works); an address already a current member's is
    skipped. An invitation to an address of a member the institution's admins removed lifts the bar
    on their rejoining (membership_readmit, audited): inviting them is the admin's word that they may
    come back. Returns the invitations made."""
    emails = [email.strip().lower() for email in emails]
    _readmit_invited(institution=institution, emails=emails, actor=actor)
    now = timezone.now()
    expires = now + timedelta(days=settings.INSTITUTIONS["INVITATION_DAYS"])
    members = {
        address.lower()
        for address in EmailAddress.objects.filter(
            user__memberships__institution=institution, user__memberships__ended_at__isnull=True
        ).values_list("email", flat=True)
    }
    made: list[tuple[Invitation, str]] = []
    for email in emails:
        email = email.strip().lower()
        if email in members:
            continue
        for old in Invitation.objects.select_for_update().filter(
            institution=institution, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ):
            _revoke(old, actor=actor, reason="replaced", at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            institution=institution,
            email=email,
            token_hash=token_hash(token),
            invited_by=actor,
            created_at=now,
            expires_at=expires,
        )
        audit_record(
            actor=actor,
            action=InstitutionAction.INVITATION_SENT,
            obj=invitation,
            data={"institution": institution.slug, "email": email, "expires_at": expires.isoformat()},
        )
        made.append((invitation, token))

    def send() -> None:
        for invitation, token in made:
            email_queue(message=_invitation_email(invitation, token), kind=EMAIL_KIND)

    transaction.on_commit(send)
    return [invitation for invitation, _token in made]


def _readmit_invited(*, institution: Institution, emails: list[str], actor: User) -> None:
    """Lift the removal bar of every removed member with one of ``emails`` *verified* on their account
    (the account's address counts only as a verified EmailAddress row), learners locked in id order
    before any invitation row (accounts/locks.py).

    Only verified addresses: anyone may add an address they do not own to their account, so a removed
    learner who added a colleague's address (unverified) must not be let back in when the admin invites
    that colleague. An invitation to an address not verified yet lifts the bar when it is accepted
    (``invitation_accept``: the address must be verified on the account then)."""
    wanted = set(emails)
    barred = {
        membership.user_id: membership.user
        for membership in Membership.objects.filter(
            institution=institution, removed_at__isnull=False, readmitted_at__isnull=True
        ).select_related("user")
    }
    addresses: dict[int, set[str]] = {pk: set() for pk in barred}
    for user_id, address in EmailAddress.objects.filter(user_id__in=list(barred), verified=True).values_list(
        "user_id", "email"
    ):
        addresses[user_id].add(address.lower())
    users = {pk: barred[pk] for pk in barred if addresses[pk] & wanted}
    for user_id in sorted(users):
        membership_readmit(institution=institution, user=users[user_id], actor=actor)


def _revoke(invitation: Invitation, *, actor: User | None, reason: str, at) -> None:
    invitation.revoked_at = at
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=InstitutionAction.INVITATION_REVOKED,
        obj=invitation,
        data={"institution": invitation.institution.slug, "email": invitation.email, "reason": reason},
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    """The admin takes an invitation back: its link stops working. An accepted one cannot be (remove
    the member instead)."""
    invitation = Invitation.objects.select_for_update().select_related("institution").get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InstitutionError(
            _("This invitation was already accepted: remove the member instead."), code="invitation_used"
        )
    if invitation.revoked_at is None:
        _revoke(invitation, actor=actor, reason="admin", at=timezone.now())
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The invitation a link names, whatever its state; ``invitation_invalid`` when none does (a
    tampered, truncated or made-up link)."""
    invitation = (
        Invitation.objects.select_related("institution", "institution__provider")
        .filter(token_hash=token_hash(token))
        .first()
        if token and len(token) <= 100
        else None
    )
    if invitation is None:
        raise InstitutionError(
            _("This invitation link is not valid. Check that you opened the whole link from the email."),
            code="invitation_invalid",
            status=404,
        )
    return invitation


def invitation_problem(invitation: Invitation, *, at=None) -> InstitutionError | None:
    """Why the link cannot be used now (revoked, used, expired), or None."""
    at = at or timezone.now()
    name = invitation.institution.name
    if invitation.revoked_at is not None:
        return InstitutionError(
            _("%(name)s withdrew this invitation. Ask its CME office for a new one.") % {"name": name},
            code="invitation_revoked",
            status=410,
        )
    if invitation.accepted_at is not None:
        return InstitutionError(
            _("This invitation has already been used. Each link works once."),
            code="invitation_used",
            status=410,
        )
    if invitation.expires_at <= at:
        return InstitutionError(
            _("This invitation expired on %(date)s. Ask %(name)s's CME office for a new one.")
            % {"date": f"{invitation.expires_at:%Y-%m-%d}", "name": name},
            code="invitation_expired",
            status=410,
        )
    return None


def _verified(user: User, email: str) -> bool | None:
    """True: the account has ``email`` verified; False: has it unverified; None: does not have it."""
    row = EmailAddress.objects.filter(user=user, email__iexact=email).order_by("-verified").first()
    return None if row is None else row.verified


@transaction.atomic
def invitation_accept(*, token: str, user: User, shares_completions: bool = False) -> Membership:
    """The invited clinician, logged in with the invited address verified, takes the seat."""
    lock_learner(user.pk)  # the learner first, then the invitation, then (membership_join) the institution
    found = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().select_related("institution").get(pk=found.pk)
    problem = invitation_problem(invitation)
    if problem is not None:
        raise problem
    verified = _verified(user, invitation.email)
    if verified is None:
        raise InstitutionError(
            _(
                "This invitation was sent to %(invited)s, and you are logged in as %(you)s. Log in with "
                "the invited address, or add it to your account and verify it, then open the link again."
            )
            % {"invited": invitation.email, "you": user.email},
            code="email_mismatch",
            status=403,
        )
    if not verified:
        raise InstitutionError(
            _("Verify %(email)s first (we sent you a link), then open the invitation again.")
            % {"email": invitation.email},
            code="email_unverified",
            status=403,
        )
    bar = selectors.removal_bar(institution=invitation.institution, user=user)
    if bar is not None and bar.removed_at is not None and invitation.created_at > bar.removed_at:
        # Sent after the removal to an address the account has verified since: the admin's new word.
        membership_readmit(
            institution=invitation.institution, user=user, actor=user, invitation_id=invitation.pk
        )
    membership = membership_join(
        institution=invitation.institution,
        user=user,
        via=JoinedVia.INVITATION,
        shares_completions=shares_completions,
    )
    invitation.accepted_at = membership.joined_at
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action=InstitutionAction.INVITATION_ACCEPTED,
        obj=invitation,
        data={"institution": invitation.institution.slug, "membership": membership.pk},
    )
    return membership


# --- Verified email domain ------------------------------------------------------------------------


def membership_join_by_domain(
    *, institution: Institution, user: User, shares_completions: bool
) -> Membership:
    """Join through a *verified* address at one of the institution's email domains."""
    if institution not in selectors.eligible_institutions(user=user):
        if institution in selectors.unverified_domain_institutions(user=user):
            raise InstitutionError(
                _("Verify your address at %(name)s first (see Email addresses in your account), then join.")
                % {"name": institution.name},
                code="email_unverified",
                status=403,
            )
        raise InstitutionError(
            _("None of your verified email addresses is at %(name)s's domains.") % {"name": institution.name},
            code="domain_not_eligible",
            status=403,
        )
    return membership_join(
        institution=institution, user=user, via=JoinedVia.DOMAIN, shares_completions=shares_completions
    )
