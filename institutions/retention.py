"""What institutions forget when an account is deleted (called by podcastcme/account_deletion.py):
current memberships end (the seats are free again; the rows stay as history) and the person stops
being an admin of any institution. Each change is audited by the service that makes it."""

from accounts.models import User

from .models import InstitutionAdmin, Membership
from .services import institution_admin_remove, membership_end


def institutions_forget_user(*, user: User) -> dict[str, int]:
    """End ``user``'s current memberships and remove their admin rights; returns the counts. The
    caller holds the learner's row lock in its transaction."""
    memberships = list(Membership.objects.filter(user=user, ended_at__isnull=True))
    for membership in memberships:
        membership_end(membership=membership, actor=None, reason="account_deleted")
    admins = list(InstitutionAdmin.objects.filter(user=user).select_related("institution", "user"))
    for row in admins:
        institution_admin_remove(row=row, actor=None)
    return {"memberships_ended": len(memberships), "admin_rights_removed": len(admins)}
