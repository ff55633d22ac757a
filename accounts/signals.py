"""Signal receivers of the accounts app: activating TOTP in a session counts as its second factor;
a login by code that proves a never-proven address forgets the password chosen before."""

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils.translation import gettext as _

from audit.services import audit_record

from .audit_actions import AccountAction

# Set on the request by ``note_unproven_password``, read by ``forget_unproven_password``.
_UNPROVEN_PASSWORD_ATTR = "_podcastcme_unproven_password_user"


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


@receiver(email_confirmed, dispatch_uid="accounts.note_unproven_password")
def note_unproven_password(sender, request, email_address, **kwargs):
    """A login by an emailed code confirms the address it was sent to (allauth verifies it
    indirectly). If the account had never proven any address, its password was chosen by whoever
    signed up with the address, perhaps not its owner (an account "pre-hijacked" before the owner
    came): note it, so the login that follows forgets that password (``forget_unproven_password``).

    A confirmation link (the normal sign-up) is left alone: the records then name no code."""
    if request is None:
        return
    user = email_address.user
    if not user.has_usable_password():
        return
    if EmailAddress.objects.filter(user=user, verified=True).exclude(pk=email_address.pk).exists():
        return
    records = get_authentication_records(request, user)
    if not records or records[-1].get("method") != "code" or records[-1].get("reauthenticated"):
        return
    setattr(request, _UNPROVEN_PASSWORD_ATTR, user.pk)


@receiver(user_logged_in, dispatch_uid="accounts.forget_unproven_password")
def forget_unproven_password(sender, request, user, **kwargs):
    if request is None or getattr(request, _UNPROVEN_PASSWORD_ATTR, None) != user.pk:
        return
    delattr(request, _UNPROVEN_PASSWORD_ATTR)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)  # this session stays logged in
    audit_record(actor=user, action=AccountAction.ACCOUNT_UNPROVEN_PASSWORD_FORGOTTEN, obj=user)
    messages.info(
        request,
        _(
            "Your email address is confirmed. The password given when this account was made, before "
            "the address was confirmed, no longer works: set a new one in your account if you want one."
        ),
    )
