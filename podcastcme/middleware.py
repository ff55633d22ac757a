"""The client's address behind trusted reverse proxies (for download counting and rate limits)."""

import ipaddress

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, ResolverMatch, resolve


class ProxiedClientAddressMiddleware:
    """Set REMOTE_ADDR to the client address the trusted proxies saw.

    With N trusted proxies, each appends the address it received from to X-Forwarded-For, so the
    client is the N-th entry from the right; entries further left are the client's own claims
    and are never trusted. Malformed values leave REMOTE_ADDR as it is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        trusted = settings.PODCASTCME_TRUSTED_PROXIES
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if trusted > 0 and forwarded:
            hops = [part.strip() for part in forwarded.split(",") if part.strip()]
            if len(hops) >= trusted:
                candidate = hops[-trusted]
                try:
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(candidate))
                except ValueError:
                    pass
        return self.get_response(request)


class EarlyPublicViewsMiddleware:
    """Answer views marked with ``answers_before_sessions`` before the session/auth stack.

    The apps mark their views with ``accounts.permissions.answers_before_sessions`` (a lower layer
    than this package, so they need not import it).

    Only paths ending in .xml, .pdf, .mp3 or .m4a are resolved here (a string test for every other
    request): feeds, signed downloads and audio (podcast apps' range requests, docs/audio-delivery.md).
    A 404 falls through to the full stack, which renders the site's page (it needs request.user).

    What a path resolves to is remembered (bounded): resolving walks the whole URLconf and was the
    largest part of a feed poll's 304 (issue 14 item 8); the URLconf does not change while a
    process runs.
    """

    SUFFIXES = (".xml", ".pdf", ".mp3", ".m4a", ".ogg", ".opus")
    REMEMBERED_PATHS = 4096  # then forgotten all at once (personal feeds: a path per listener)

    def __init__(self, get_response):
        self.get_response = get_response
        self._matches: dict[str, ResolverMatch | None] = {}

    def _match(self, path: str) -> ResolverMatch | None:
        try:
            return self._matches[path]
        except KeyError:
            pass
        try:
            match: ResolverMatch | None = resolve(path)
        except Resolver404:
            match = None
        if match is not None and not getattr(match.func, "answers_before_sessions", False):
            match = None
        if len(self._matches) >= self.REMEMBERED_PATHS:
            self._matches.clear()
        self._matches[path] = match
        return match

    def __call__(self, request):
        if request.path_info.endswith(self.SUFFIXES):
            match = self._match(request.path_info)
            if match is not None:
                try:
                    return match.func(request, *match.args, **match.kwargs)
                except Http404:
                    pass
        return self.get_response(request)
