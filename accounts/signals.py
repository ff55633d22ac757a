"""Signal receivers of the accounts app: activating TOTP in a session counts as its second factor;
a login by code that proves a never-proven address forgets the password chosen before."""

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
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

# Set on the request by ``forget_unproven_password``, read by ``keep_this_session``.
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


@receiver(email_confirmed, dispatch_uid="accounts.forget_unproven_password")
def forget_unproven_password(sender, request, email_address, **kwargs):
    """A login by an emailed code proves the address it was sent to (allauth verifies it
    indirectly, and with ACCOUNT_CHANGE_EMAIL it becomes the account's only address). Whoever held
    the account before did not prove that address: a stranger who signed up with it, or who asked
    to change their own account's address to it and never confirmed (an account "pre-hijacked"
    before its owner came). Their password is forgotten and their sessions end (a new unusable
    password changes the session hash), so only the mailbox's owner keeps the account; this
    session stays logged in (``keep_this_session``). Audited.

    A confirmation link is left alone (the normal sign-up, whose password its owner typed): the
    records then name no code, and so is a reauthentication by code (the address was proven)."""
    if request is None:
        return
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name != "account_confirm_login_code":
        return  # not the login by code (a link opened later in a session that logged in by code)
    user = email_address.user
    records = get_authentication_records(request, user)
    if not records or records[-1].get("method") != "code" or records[-1].get("reauthenticated"):
        return
    had_password = user.has_usable_password()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit_record(
        actor=None,
        action=AccountAction.ACCOUNT_UNPROVEN_PASSWORD_FORGOTTEN,
        obj=user,
        data={"email": email_address.email, "had_password": had_password},
    )
    setattr(request, _UNPROVEN_PASSWORD_ATTR, user.pk)
    if had_password:
        messages.info(
            request,
            _(
                "Your email address is confirmed. The password this account had before the address "
                "was confirmed no longer works: set a new one in your account if you want one."
            ),
        )


@receiver(user_logged_in, dispatch_uid="accounts.keep_this_session")
def keep_this_session(sender, request, user, **kwargs):
    """The login that follows ``forget_unproven_password`` in the same request: the session keeps
    the hash of the new password (the user object logged in was loaded before it changed)."""
    if request is None or getattr(request, _UNPROVEN_PASSWORD_ATTR, None) != user.pk:
        return
    delattr(request, _UNPROVEN_PASSWORD_ATTR)
    user.refresh_from_db(fields=["password"])
    update_session_auth_hash(request, user)
