"""The upload size limit: 413 before the body is read, and a byte-counting handler as a second guard.

Django streams uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file on disk
(TemporaryFileUploadHandler); this module keeps that and only adds the limit in front of it.
"""

from functools import wraps

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect

# Set on the request by the handler when it stopped an upload; the view then answers 413.
STOPPED_ATTR = "_podcastcme_upload_stopped"


def max_upload_bytes() -> int:
    return int(settings.PODCASTCME_MAX_UPLOAD_BYTES)


def declared_length(request) -> int | None:
    """The request's Content-Length, or None when it is missing or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def too_large_response(request, status: int = 413):
    return render(
        request,
        "episodes/host/too_large.html",
        {"limit": max_upload_bytes(), "limit_display": filesizeformat(max_upload_bytes())},
        status=status,
    )


class MaxBytesUploadHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file and stops the upload once they pass the limit.

    The Content-Length check runs first; this guard is for bodies whose length was not declared
    truthfully (a server that hands Django the whole body regardless of Content-Length, as ASGI
    does), so a chunked or mislabelled body cannot bypass the limit.
    """

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = max_upload_bytes() if limit is None else limit
        self.received = 0

    def _stop(self):
        if self.request is not None:
            setattr(self.request, STOPPED_ATTR, True)
        # connection_reset: do not read (and throw away) the rest of an oversized body.
        raise StopUpload(connection_reset=True)

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length is not None and content_length > self.limit:
            self._stop()
        return None  # let the next handlers (memory / temporary file) do the work

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._stop()
        return raw_data  # passed on unchanged to the handler that writes it to disk

    def file_complete(self, file_size):
        return None  # the next handler returns the file object


# Sent by static/js/upload.js with the XMLHttpRequest that carries the form.
SCRIPT_HEADER = "X-Upload-Progress"


def redirect_after_upload(request, to: str, *args, **kwargs):
    """A redirect, or for upload.js a JSON answer naming where to go.

    XMLHttpRequest follows redirects by itself: the page it fetched would consume the flash
    message and then the script would load it a second time. So the script gets the address instead.
    """
    response = redirect(to, *args, **kwargs)
    if request.headers.get(SCRIPT_HEADER):
        return JsonResponse({"redirect": response["Location"]})
    return response


def upload_was_stopped(request) -> bool:
    return bool(getattr(request, STOPPED_ATTR, False))


def upload_limited(view):
    """Wrap a view that accepts file uploads with the size limit.

    Order matters: the limit handler must be installed before anything reads request.POST, and
    CsrfViewMiddleware reads POST to find the token. So, as Django's documentation on modifying
    upload handlers explains, the view is csrf_exempt for the middleware and csrf_protect is
    applied here, after the handler is in place. CSRF protection stays on.
    """

    @csrf_protect
    def protected(request, *args, **kwargs):
        if request.method == "POST":
            request.POST, request.FILES  # noqa: B018 - parse now, with the limit handler installed
            if upload_was_stopped(request):
                return too_large_response(request)
        return view(request, *args, **kwargs)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            length = declared_length(request)
            if length is not None and length > max_upload_bytes():
                # Refused from the headers alone: not one byte of the body is read.
                return too_large_response(request)
            request.upload_handlers.insert(0, MaxBytesUploadHandler(request))
        return protected(request, *args, **kwargs)

    return wrapper
