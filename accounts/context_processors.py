"""Template flags for the navigation: is this user a host or a coordinator?"""

from .permissions import is_coordinator, is_host, load_roles


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_host": False, "nav_is_coordinator": False}
    load_roles(user)
    return {"nav_is_host": is_host(user), "nav_is_coordinator": is_coordinator(user)}
