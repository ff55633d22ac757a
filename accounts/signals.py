"""Signal receivers of the accounts app: activating TOTP in a session counts as its second factor."""

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver


@receiver(authenticator_added, dispatch_uid="accounts.record_mfa_on_activation")
def record_mfa_on_activation(sender, request, user, authenticator, **kwargs):
    """The user just typed a valid code from the new device into this session (after allauth asked
    for the password again), so the session has proved both factors: record it the way allauth's
    TOTP stage does, and the MFA gate lets this session through without a second login."""
    if authenticator.type != Authenticator.Type.TOTP or request is None:
        return
    if getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)
