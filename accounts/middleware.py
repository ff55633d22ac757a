"""Per-request time zone, and the MFA gate in front of host, coordinator and admin pages."""

import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .permissions import has_mfa, mfa_is_required, session_completed_mfa


class TimezoneMiddleware:
    """Show times in the viewer's own time zone (their account setting), else settings.TIME_ZONE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        tzname = getattr(user, "time_zone", None) if user and user.is_authenticated else None
        if tzname:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tzname))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class RequireMFAForRolesMiddleware:
    """Host, coordinator and staff pages need a session that completed the second factor.

    A user without TOTP is sent to set it up. A user with TOTP whose *session* never passed it (a
    password-only login, or a session whose device has since been reset) is logged out and sent to
    log in again, where allauth's TOTP stage asks for the code. The same applies to allauth's own
    two-factor pages, so such a session cannot swap the device either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        prefixes = tuple(settings.MFA_REQUIRED_PATH_PREFIXES)
        role_page = bool(prefixes) and request.path.startswith(prefixes)
        mfa_page = request.path.startswith(reverse("mfa_index"))
        if not (role_page or mfa_page) or not mfa_is_required(user):
            return self.get_response(request)
        if not has_mfa(user):
            if not role_page:
                return self.get_response(request)  # the way to set it up
            messages.warning(
                request,
                _(
                    "Host, coordinator and staff accounts must use two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        if session_completed_mfa(request, user):
            return self.get_response(request)
        logout(request)
        messages.warning(
            request,
            _(
                "This page needs a login with two-factor authentication. "
                "Log in again with your authenticator code."
            ),
        )
        return redirect(f"{reverse('account_login')}?{urlencode({'next': request.get_full_path()})}")
