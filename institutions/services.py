"""Writes for institutional access: joining and leaving (seats), consent, licences, invitations.

Every write is one service here, in one transaction, with one audit row per record changed.
Joining takes the locks in the project's one order (accounts/locks.py): the learner's row first,
then the institution's row, so two learners racing for the last seat wait for each other and the
second one is refused; no network call is made while they are held.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_learner
from accounts.models import User
from audit.services import audit_record

from . import selectors
from .audit_actions import InstitutionAction
from .errors import InstitutionError
from .models import Institution, JoinedVia, Membership


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
    (a current membership exists) or ``no_seat`` (every seat of the current licences is taken, or
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
