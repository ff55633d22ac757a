"""Request body limits per route: a body larger than its route allows is refused (413) from the headers.

Anything that reads a body — CSRF's check looking for its token, a form, the multipart parser that
spools files to disk — reads all of it, so the size must be decided before, from ``Content-Length``.
Under WSGI that header is also the most Django will ever read (``LimitedStream``): a chunked body
without it reaches Django empty, and a body longer than declared is cut at the declared length.
The upload views add a byte-counting upload handler as a second guard (``episodes.upload``).
Under ASGI Django reads the whole body before any middleware runs, so ``BodyLimitASGIMiddleware``
wraps the ASGI application itself (podcastcme/asgi.py).

Limits: ``PODCASTCME_MAX_BODY_BYTES`` (1 MiB) everywhere, except the routes named in
``PODCASTCME_BODY_LIMITS`` (the episode upload gets ``PODCASTCME_MAX_UPLOAD_BYTES``, 1 GiB).
"""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve

# LIMIT_ATTR: set on the request to its route's limit; the upload views count file bytes against it.
from episodes.upload import (
    AUDIO_UPLOAD_ROUTE,
    LIMIT_ATTR,
    UploadStorageFull,
    declared_length,
    storage_full_response,
    too_large_response,
)


def _route(path_info: str):
    try:
        return resolve(path_info)
    except Resolver404:
        return None


def _route_name(path_info: str) -> str | None:
    match = _route(path_info)
    return match.view_name if match is not None else None


def limit_of_route(name: str | None) -> int:
    """The largest body, in bytes, that the route named ``name`` (None: no route) accepts."""
    limit = settings.PODCASTCME_BODY_LIMITS.get(name) if name is not None else None
    if limit is None:
        return int(settings.PODCASTCME_MAX_BODY_BYTES)
    return int(getattr(settings, limit) if isinstance(limit, str) else limit)


class RequestBodyLimitMiddleware:
    """Answer 413, without reading a byte of the body, when Content-Length passes the route's limit.

    Requests without a body (GET, HEAD: almost all of them) cost one header lookup.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = declared_length(request)
        if length:
            match = _route(request.path_info)
            route = match.view_name if match is not None else None
            limit = limit_of_route(route)
            setattr(request, LIMIT_ATTR, limit)
            if length > limit:
                return too_large_response(request, limit, audio=route == AUDIO_UPLOAD_ROUTE)
            if self._parse_here(request, match):
                try:
                    # Parsed here, before CSRF's check reads it, so that a disk that fills while
                    # a file arrives gets its clear answer (the partial file is already gone).
                    request.POST, request.FILES  # noqa: B018
                except UploadStorageFull:
                    return storage_full_response(request)
        return self.get_response(request)

    @staticmethod
    def _parse_here(request, match) -> bool:
        """A logged-in user's upload to a route that takes files and leaves the upload handlers as they are.

        Only the routes of PODCASTCME_BODY_LIMITS (the forms that take files): other views may read
        the raw body, which parsing would consume. Every form that takes files needs a login, and
        anonymous bodies are left to the view, which refuses them without reading (a redirect).
        """
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return False
        if match is None or match.view_name not in settings.PODCASTCME_BODY_LIMITS:
            return False
        if getattr(match.func, "chooses_upload_handlers", False):
            return False
        return request.user.is_authenticated


class BodyLimitASGIMiddleware:
    """The same limits under ASGI, where Django reads the whole body (to disk) before any middleware.

    Wraps the ASGI application: a declared Content-Length over the route's limit is answered 413
    without receiving the body; a body without one (chunked) is counted as it arrives and refused
    once it passes the limit (Django sees a disconnect and stops reading).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, root = scope.get("path", "/"), scope.get("root_path", "")
        limit = limit_of_route(_route_name(path[len(root) :] if root and path.startswith(root) else path))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            length = None
        if length is not None and length > limit:
            return await self._refuse(send, limit)
        received, refused, started = 0, False, False

        async def counting_receive():
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, watching_send)
        if refused and not started:
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send, limit: int) -> None:
        body = (
            f"Too large: this request is larger than the limit of {filesizeformat(limit)} for this page, "
            "so it was not accepted and nothing was saved.\n"
        ).encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
