"""Role checks: who is a host of which show, a coordinator of which provider, and who needs MFA."""

from functools import wraps
from typing import TypeGuard

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view that only logged-in users reach (``login_required``, ``host_required``,
    ``coordinator_required``): ``request.user`` is a ``User``, never ``AnonymousUser``. For type
    checking only: Django still passes its own request object."""

    user: User


def is_authenticated_active(user: object) -> TypeGuard[User]:
    """A logged-in user whose account is active (a deleted account never is).

    A ``TypeGuard``: where it returns True, type checkers know ``user`` is a ``User``, not
    ``AnonymousUser`` or None.
    """
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
    )


def is_host_of(user, show) -> bool:
    if not is_authenticated_active(user) or show is None or show.pk is None:
        return False
    return show.memberships.filter(user_id=user.pk).exists()


def is_coordinator_of(user, provider) -> bool:
    if not is_authenticated_active(user) or provider is None or provider.pk is None:
        return False
    return provider.memberships.filter(user_id=user.pk).exists()


def remember_roles(user, *, host: bool | None = None, coordinator: bool | None = None) -> None:
    """Record the user's roles read by another query (the navigation's, the claim page's), so that
    ``is_host`` and ``is_coordinator`` answer for this request without asking; a role already known
    is kept."""
    if host is not None and getattr(user, "_is_host_cache", None) is None:
        user._is_host_cache = bool(host)
    if coordinator is not None and getattr(user, "_is_coordinator_cache", None) is None:
        user._is_coordinator_cache = bool(coordinator)


def roles_known(user) -> bool:
    """Both roles of this request's user are known already (``remember_roles`` or a check)."""
    return (
        getattr(user, "_is_host_cache", None) is not None
        and getattr(user, "_is_coordinator_cache", None) is not None
    )


def is_host(user) -> bool:
    """A host of at least one show."""
    if not is_authenticated_active(user):
        return False
    cached = getattr(user, "_is_host_cache", None)
    if cached is None:
        cached = user._is_host_cache = user.host_memberships.exists()
    return cached


def is_coordinator(user) -> bool:
    """A coordinator of at least one provider."""
    if not is_authenticated_active(user):
        return False
    cached = getattr(user, "_is_coordinator_cache", None)
    if cached is None:
        cached = user._is_coordinator_cache = user.coordinator_memberships.exists()
    return cached


def mfa_is_required(user) -> bool:
    """Staff, hosts and coordinators must protect their accounts with a second factor."""
    return is_authenticated_active(user) and (user.is_staff or is_host(user) or is_coordinator(user))


def has_mfa(user) -> bool:
    """The *account* has a TOTP device. Says nothing about the current session: the MFA gate asks
    ``session_completed_mfa`` as well."""
    return (
        is_authenticated_active(user)
        and Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()
    )


def session_completed_mfa(request, user) -> bool:
    """*This session* passed a second factor for ``user`` with an authenticator that still exists.

    allauth logs every step of a login in the session (``get_authentication_records``): a password
    record alone means the TOTP stage was skipped (Django's admin login did that, and sessions from
    before the gate asked). The records must name this user, and the device they name must still be
    one of theirs, so a reset device (admin reset, deactivated TOTP) ends the session's standing.
    """
    if not is_authenticated_active(user):
        return False
    device_ids = {
        record.get("id")
        for record in get_authentication_records(request, user)
        if record.get("method") == "mfa"
    }
    device_ids.discard(None)
    if not device_ids:
        return False
    return Authenticator.objects.filter(user_id=user.pk, pk__in=device_ids).exists()


def host_required(view):
    """Only hosts of some show; the view still checks the show itself with ``is_host_of``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_authenticated_active(request.user):
            return redirect_to_login(request.get_full_path())
        if not is_host(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def coordinator_required(view):
    """Only coordinators of some provider; the view checks the provider with ``is_coordinator_of``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_authenticated_active(request.user):
            return redirect_to_login(request.get_full_path())
        if not is_coordinator(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def answers_before_sessions(view):
    """Mark a public view that needs no session, user, CSRF, locale or messages (feeds, signed downloads).

    ``podcastcme.middleware.EarlyPublicViewsMiddleware`` calls it right after WhiteNoise: podcast
    apps poll feeds far more often than people read pages, and that middleware is most of the cost
    of a cached answer. The marker lives here, with the other view decorators that say who may call
    a view, so that the apps' views need not import the top-level package (like Django's
    ``csrf_exempt`` and its middleware).
    """
    view.answers_before_sessions = True
    return view
