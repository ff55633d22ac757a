"""Uploads: the size limit (413 before the body is read), temporary files a sweep can find, a full disk.

Django streams uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file on disk; here
those files get a recognisable name (``UPLOAD_TEMP_PREFIX``), so that ``manage.py
sweep_upload_temp`` can remove what a killed worker left behind, and a disk that fills while the
upload arrives deletes the partial file and answers 507 with a clear message.

The size limit per route is decided from Content-Length by ``podcastcme.limits`` before any view
runs; the views here repeat that check and count the bytes of every file as a second guard.
"""

import errno
import os
import re
import stat
import tempfile
import time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt, csrf_protect

# Set on the request by the handler when it stopped an upload; the view then answers 413.
STOPPED_ATTR = "_podcastcme_upload_stopped"
# Set by the request body limit middleware (podcastcme.limits) to the route's limit in bytes.
LIMIT_ATTR = "body_limit"
# Every temporary upload file this project writes starts with this (see sweep_upload_temp).
UPLOAD_TEMP_PREFIX = "podcastcme-upload-"
# Write errors that mean "no room", not "bug": disk or quota full, file size limit.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SAFE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}\Z")


def max_upload_bytes() -> int:
    return int(settings.PODCASTCME_MAX_UPLOAD_BYTES)


def upload_temp_dir() -> str:
    """Where uploads are streamed to disk: FILE_UPLOAD_TEMP_DIR, else the system's temporary folder."""
    return settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir()


def upload_temp_file(name: str = "", *, directory: str | None = None):
    """A NamedTemporaryFile (deleted when closed) named so that the sweep recognises it."""
    extension = os.path.splitext(name or "")[1]
    suffix = ".upload" + (extension if _SAFE_EXTENSION.match(extension) else "")
    return tempfile.NamedTemporaryFile(
        prefix=UPLOAD_TEMP_PREFIX, suffix=suffix, dir=directory or upload_temp_dir()
    )


def stale_uploads(older_than_hours: float, *, now: float | None = None) -> list[Path]:
    """Temporary upload files of this project not written to for ``older_than_hours``.

    A live upload writes to its file every few seconds, and a finished one is moved or deleted at
    the end of its request; one left unchanged for hours belongs to a worker that was killed. Only
    regular files named ``UPLOAD_TEMP_PREFIX*`` are considered: never links, never other programs' files.
    """
    cutoff = (time.time() if now is None else now) - older_than_hours * 3600
    stale = []
    for path in Path(upload_temp_dir()).glob(UPLOAD_TEMP_PREFIX + "*"):
        try:
            info = path.lstat()
        except FileNotFoundError:  # finished meanwhile
            continue
        if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
            stale.append(path)
    return sorted(stale)


def is_out_of_space(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in NO_SPACE_ERRNOS


class UploadStorageFull(OSError):
    """The disk filled (or a size limit hit) while an upload was written to its temporary file."""


def declared_length(request) -> int | None:
    """The request's Content-Length, or None when it is missing or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _limit(request) -> int:
    return int(getattr(request, LIMIT_ATTR, None) or max_upload_bytes())


AUDIO_UPLOAD_ROUTE = "episodes:host_episode_upload"


def too_large_response(request, limit: int | None = None, *, audio: bool | None = None):
    """413: the body is over ``limit``, nothing was saved (``audio``: add advice on smaller audio)."""
    limit = max_upload_bytes() if limit is None else limit
    if audio is None:
        match = getattr(request, "resolver_match", None)
        audio = match is not None and match.view_name == AUDIO_UPLOAD_ROUTE
    context = {"limit": limit, "limit_display": filesizeformat(limit), "audio": audio}
    return render(request, "413.html", context, status=413)


def storage_full_response(request):
    return render(request, "507.html", status=507)


class PrefixedTemporaryUploadedFile(TemporaryUploadedFile):
    """Django's temporary upload file, named ``podcastcme-upload-*`` so the sweep can find it."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        UploadedFile.__init__(
            self, upload_temp_file(name), name, content_type, size, charset, content_type_extra
        )


class PrefixedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to a ``podcastcme-upload-*`` file; a full disk deletes it and stops the request."""

    def new_file(self, *args, **kwargs):
        FileUploadHandler.new_file(self, *args, **kwargs)
        try:
            self.file = PrefixedTemporaryUploadedFile(
                self.file_name, self.content_type, 0, self.charset, self.content_type_extra
            )
        except OSError as error:
            self._give_up(error)

    def receive_data_chunk(self, raw_data, start):
        try:
            self.file.write(raw_data)
        except OSError as error:
            self._give_up(error)

    def file_complete(self, file_size):
        try:
            self.file.flush()  # a full disk may only show when the last buffered bytes are written
        except OSError as error:
            self._give_up(error)
        return super().file_complete(file_size)

    def _give_up(self, error: OSError):
        self.upload_interrupted()  # closes and deletes the partial temporary file
        if is_out_of_space(error):
            raise UploadStorageFull(error.errno, error.strerror) from error
        raise error


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
    """Wrap a view that accepts file uploads with its size limit and the full-disk answer.

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
                return too_large_response(request, _limit(request))
        return view(request, *args, **kwargs)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            limit = _limit(request)
            length = declared_length(request)
            if length is not None and length > limit:
                # Refused from the headers alone: not one byte of the body is read.
                return too_large_response(request, limit)
            request.upload_handlers.insert(0, MaxBytesUploadHandler(request, limit))
        try:
            return protected(request, *args, **kwargs)
        except UploadStorageFull:
            # The partial temporary file is already deleted; nothing else was written.
            return storage_full_response(request)

    # The body limit middleware leaves its parsing to it; a marker like Django's csrf_exempt.
    wrapper.chooses_upload_handlers = True  # type: ignore[attr-defined]  # an attribute set on a function
    return wrapper
