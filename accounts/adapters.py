"""allauth integration: emails carry our site URL and subject prefix; MFA secrets are encrypted."""

from allauth.account import app_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from . import mfa_encryption
from .email_destinations import signup_destination
from .mail import email_queue
from .mfa_encryption import MFASecretUnreadable  # noqa: F401  (raised by MFAAdapter.decrypt)
from .permissions import is_coordinator, is_host


class AccountAdapter(DefaultAccountAdapter):
    def get_from_email(self):
        return settings.DEFAULT_FROM_EMAIL

    def is_open_for_signup(self, request):
        return settings.ACCOUNT_SIGNUP_OPEN

    def get_login_redirect_url(self, request):
        """Where a login lands when no page asked for it (a ``next`` still wins, allauth checks it
        first): a host on their shows, a coordinator on their dashboard, everyone else at home.

        Named URLs, not imports: the host and coordinator pages belong to higher apps.
        """
        user = request.user
        if is_host(user):
            return reverse("episodes:host_dashboard")
        if is_coordinator(user):
            return reverse("credits:coordinator_dashboard")
        return super().get_login_redirect_url(request)

    def get_email_confirmation_url(self, request, emailconfirmation):
        """The confirmation link carries the page the person signed up (or logged in) to reach, as
        ``?next=<local path>``, so it still leads there when opened in another browser (a phone's mail
        app): allauth's ConfirmEmailView honours ``next`` (it checks the host again), and an
        anonymous visitor is then sent through the login page to it. A foreign or malformed
        destination is left out."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        destination = local_next(request)
        return f"{url}?{urlencode({'next': destination})}" if destination else url

    def send_mail(self, template_prefix, email, context):
        """Render now; a task sends it and retries while the mail server is down (accounts/mail.py).

        Sign-up, password reset and email change then show their normal page whatever the mail
        server does. Same context as allauth's own send_mail.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        # Our templates (templates/account/email/) sign with the site's name and address, never
        # with the request's host; a sign-up names the activity the person came for.
        ctx.update({"site_name": "podcastcme", "site_url": settings.SITE_URL})
        if template_prefix == "account/email/email_confirmation_signup":
            ctx["credit_activity"] = signup_destination(request)
        if template_prefix == "account/email/login_code":
            ctx["code_minutes"] = max(1, app_settings.LOGIN_BY_CODE_TIMEOUT // 60)
        if template_prefix == "account/email/account_already_exists":
            ctx["login_code_url"] = settings.SITE_URL + reverse("account_request_login_code")
        if template_prefix == "account/email/unknown_account":
            ctx["unknown_account_action"] = _unknown_account_action(request)
        ctx.update(context)
        email_queue(message=self.render_mail(template_prefix, email, ctx), kind=template_prefix)


def _unknown_account_action(request) -> str:
    """What was asked for an address with no account (allauth sends the same template for each):
    "login_code", "password_reset", or "" (another request, e.g. a verification resend)."""
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match is not None else ""
    return {"account_request_login_code": "login_code", "account_reset_password": "password_reset"}.get(
        name or "", ""
    )


def local_next(request) -> str:
    """The request's ``next`` (posted or in the query) when it is a path on this site, else ""."""
    if request is None:
        return ""
    path = request.POST.get("next") or request.GET.get("next") or ""
    if not path.startswith("/") or path.startswith("//") or len(path) > 2000:
        return ""
    if not url_has_allowed_host_and_scheme(path, allowed_hosts={request.get_host()}):
        return ""
    return path


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored Fernet-encrypted (accounts/mfa_encryption.py)."""

    def encrypt(self, text: str) -> str:
        return mfa_encryption.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return mfa_encryption.decrypt(encrypted_text)
