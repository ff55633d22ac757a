"""Per-request time zone, and the MFA gate in front of host, coordinator and admin pages."""

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .permissions import has_mfa, mfa_is_required


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
    """A host, coordinator or staff user without TOTP is sent to set it up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        prefixes = getattr(settings, "MFA_REQUIRED_PATH_PREFIXES", ())
        user = getattr(request, "user", None)
        if (
            prefixes
            and request.path.startswith(prefixes)
            and user is not None
            and user.is_authenticated
            and mfa_is_required(user)
            and not has_mfa(user)
        ):
            messages.warning(
                request,
                _(
                    "Host, coordinator and staff accounts must use two-factor authentication. "
                    "Set up an authenticator app to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
