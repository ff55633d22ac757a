"""What a sign-up email may say about the page the person signed up to reach ("After you confirm,
you go straight on to <activity> from <provider>").

Accounts sits below the apps that own those pages (docs/architecture.md) and may not ask them. A
higher app registers a describer from its ``AppConfig.ready()`` (credits/signup_destination.py); the
account adapter asks the describers about the ``next`` page of the sign-up request.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


@dataclass(frozen=True)
class Destination:
    """What the email names: the activity's title and its provider's name (plain text, escaped
    by the templates)."""

    title: str
    provider: str


# A describer answers, for a local path, the destination it knows (None: not one of its pages).
Describer = Callable[[str], Destination | None]
_describers: list[Describer] = []


def register_destination_describer(describer: Describer) -> None:
    """Called once by a higher app's AppConfig.ready(); registering twice keeps one."""
    if describer not in _describers:
        _describers.append(describer)


def signup_destination(request: HttpRequest | None) -> Destination | None:
    """The destination of the sign-up's ``next`` page (posted with the form, or in the query), if
    it is a local page a describer knows; anything else (another site, nonsense) names nothing."""
    if request is None:
        return None
    path = request.POST.get("next") or request.GET.get("next") or ""
    if not path or len(path) > 2000:
        return None
    if not url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}, require_https=not settings.DEBUG and request.is_secure()
    ):
        return None
    path = path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None
    for describer in _describers:
        destination = describer(path)
        if destination is not None:
            return destination
    return None
