"""The demo institution (issue 18, item 7): Mercy General Hospital holds 25 seats of the demo provider,
with the demo admin as its institution admin, a couple of members who joined through their verified
hospital address (the first shares their completions, the others do not), and one pending invitation.

Called by podcastcme's seed_demo; idempotent (a second run changes nothing). Everything goes through
the services, so each row has its audit row.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from credits.models import Provider

from . import selectors, services
from .invitations import invitations_send
from .models import Institution, JoinedVia, SeatLicence

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
    return institution
