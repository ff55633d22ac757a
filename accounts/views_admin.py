"""The admin's login, logout and password change, routed through allauth.

Django's admin login checks a password and nothing else: no rate limit, no TOTP stage. Every
way into the admin therefore goes through allauth's login (the same limits and second factor as
everyone else), and the MFA gate in front of /admin/ checks that the session finished it.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


class _TemporaryRedirect(HttpResponseRedirect):
    # 307 keeps the method and body: a password posted to the old admin form reaches allauth's
    # login, which counts it against the same rate limits, instead of being checked here.
    status_code = 307


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


@never_cache
def admin_login(request):
    """/admin/login/: allauth's login, returning to the admin page that was asked for."""
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        if not admin.site.has_permission(request):
            # allauth would send a logged-in user straight back to ``next``: a redirect loop.
            raise PermissionDenied
        return HttpResponseRedirect(next_url)
    target = f"{reverse('account_login')}?{urlencode({'next': next_url})}"
    if request.method == "POST":
        return _TemporaryRedirect(target)
    return HttpResponseRedirect(target)
