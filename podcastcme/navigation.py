"""The navigation's role flags: is this user a host of some show, a coordinator of some provider?

It spans apps (show hosts live in ``episodes``, provider coordinators in ``credits``), so it lives
here rather than in ``accounts``, which may not import either.
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from accounts.permissions import is_authenticated_active, is_coordinator, is_host, remember_roles, roles_known
from credits.models import ProviderCoordinator
from episodes.models import ShowHost


def load_roles(user) -> None:
    """Fill the host and coordinator flags of ``user`` in one query (every page's navigation needs
    both); ``is_host`` and ``is_coordinator`` then answer without asking again."""
    if not is_authenticated_active(user) or roles_known(user):
        return
    host, coordinator = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            host=Exists(ShowHost.objects.filter(user=OuterRef("pk"))),
            coordinator=Exists(ProviderCoordinator.objects.filter(user=OuterRef("pk"))),
        )
        .values_list("host", "coordinator")
        .get()
    )
    remember_roles(user, host=host, coordinator=coordinator)


def roles(request):
    """Template context processor: ``nav_is_host`` and ``nav_is_coordinator``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_host": False, "nav_is_coordinator": False}
    load_roles(user)
    return {"nav_is_host": is_host(user), "nav_is_coordinator": is_coordinator(user)}
