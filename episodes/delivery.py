"""Serving stored files over HTTP: HEAD, byte ranges, conditional GET, streaming or nginx X-Accel-Redirect.

Django's ``FileResponse`` ignores ``Range`` and answers 200, and podcast apps reject that (Apple's app
probes with ``Range: bytes=0-1`` and wants 206), so ranges are implemented here.

The rules, after RFC 9110 (sections 13 and 14):

- ``Accept-Ranges: bytes`` on every answer; ETag and Last-Modified from the stored file.
- ``If-None-Match`` / ``If-Modified-Since`` that match: 304 with no body (``If-Match`` and
  ``If-Unmodified-Since`` that fail: 412), through Django's own ``get_conditional_response``.
- One satisfiable range (``bytes=0-1``, ``bytes=500-``, ``bytes=-500``): 206 with
  ``Content-Range: bytes first-last/size``; the end is clamped to the file.
- A range that starts at or beyond the end (or ``bytes=-0``): 416 with ``Content-Range: bytes */size``.
- Anything else in ``Range`` (another unit, garbage, ``bytes=5-2``, several ranges): ignored, so the
  client gets 200 and the whole file. The RFC allows a server to ignore ``Range``; multipart/byteranges
  answers are rarely used by players and would only add code that can go wrong.
- ``If-Range`` that does not match the current ETag or Last-Modified: ``Range`` is ignored (200),
  so a resumed download never splices bytes from two versions of a re-tagged file.
- HEAD answers exactly the headers GET would (including 206 for a range), without a body.

Bytes are streamed in blocks from the storage's file object, never read whole into memory. When
``settings.PODCASTCME_X_ACCEL_REDIRECT_PREFIX`` is set, no bytes are sent at all: the answer carries
``X-Accel-Redirect: <prefix><storage path>`` and nginx sends the file (and handles ranges and
conditional requests itself). See docs/audio-delivery.md.

The download-counting hook: ``serve_file(..., on_served=callback)`` calls ``callback(request, served)``
once per request, after the answer is decided and before any byte is sent, with a ``Served`` record
(status, method, the inclusive byte range to be sent or ``None`` when there is no body, file size,
whether nginx sends the bytes). The counter decides what counts (GET only, never HEAD or 304, ignore
``bytes=0-1`` probes, sum ranges per client); this module only reports what was asked for and answered.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
)
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe

from .object_storage import audio_seconds, is_remote, signed_redirect

BLOCK_SIZE = 64 * 1024

# One range only: "bytes=first-last", "bytes=first-" or "bytes=-suffix" (whitespace around tolerated).
_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Served:
    """What one request was answered: handed to the ``on_served`` hook (download counting)."""

    method: str  # "GET" or "HEAD"
    status: int  # 200, 206, 304, 412 or 416
    start: int | None  # first byte sent (inclusive); None when no body is sent
    end: int | None  # last byte sent (inclusive)
    size: int  # the whole file, in bytes
    via_nginx: bool  # X-Accel-Redirect: nginx sends the bytes (and may still answer 304 itself)
    range_requested: bool  # the client sent a Range header we honoured

    @property
    def length(self) -> int:
        return 0 if self.start is None or self.end is None else self.end - self.start + 1


OnServed = Callable[[HttpRequest, Served], None]


class Unsatisfiable(Exception):
    """The Range header is well-formed but asks for bytes the file does not have."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) bytes one ``Range`` header asks for, or ``None`` to send all.

    Raises ``Unsatisfiable`` for a well-formed single range that lies outside the file.
    """
    if not header:
        return None
    match = _SINGLE_RANGE.match(header)
    if match is None:  # another unit, several ranges, or garbage: ignore it (200, whole file)
        return None
    first_text, last_text = match.groups()
    try:
        first = int(first_text) if first_text else None
        last = int(last_text) if last_text else None
    except ValueError:  # more digits than int() accepts: garbage
        return None
    if first is None:  # suffix: the last N bytes
        if last is None:  # "bytes=-"
            return None
        if last == 0 or size == 0:
            raise Unsatisfiable
        return max(size - last, 0), size - 1
    if last is not None and last < first:  # "bytes=5-2" is invalid, so ignored
        return None
    if first >= size:
        raise Unsatisfiable
    return first, size - 1 if last is None else min(last, size - 1)


def file_etag(size: int, mtime: int) -> str:
    """A strong ETag in nginx's own format, so it does not change when nginx takes over the bytes."""
    return f'"{mtime:x}-{size:x}"'


def _if_range_matches(request: HttpRequest, etag: str, mtime: int) -> bool:
    value = request.headers.get("If-Range")
    if not value:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return value == etag  # If-Range needs a strong comparison: a weak ETag never matches
    return parse_http_date_safe(value) == mtime


class _RangeReader:
    """A file-like view of ``length`` bytes of ``handle`` from ``start``: FileResponse streams it."""

    def __init__(self, handle, start: int, length: int):
        self._handle = handle
        self._remaining = length
        handle.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        data = self._handle.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def serve_file(
    request: HttpRequest,
    field: FieldFile,
    *,
    content_type: str,
    cache_control: str,
    download_name: str = "",
    extra_headers: dict[str, str] | None = None,
    on_served: OnServed | None = None,
) -> HttpResponseBase:
    """Answer GET or HEAD for a stored file, with ranges, validators and caching headers.

    ``cache_control`` is the view's policy (public media or a host's private draft);
    ``download_name`` names the file for "save as"; ``extra_headers`` (e.g. CORS) go on every answer.
    """
    method = request.method
    if method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    name = field.name
    if not name:  # an empty file field
        raise Http404
    storage = field.storage
    if is_remote(storage):  # object storage: the bucket sends the bytes (docs/object-storage.md)
        return _redirect_to_bucket(
            request, field, content_type, cache_control, download_name, extra_headers, on_served
        )
    try:
        size = storage.size(name)
        mtime = int(storage.get_modified_time(name).timestamp())
    except (FileNotFoundError, NotImplementedError):
        raise Http404 from None
    etag = file_etag(size, mtime)
    via_nginx = bool(settings.PODCASTCME_X_ACCEL_REDIRECT_PREFIX)

    def finish(response: HttpResponseBase, start=None, end=None, *, status=None, ranged=False):
        response.headers["Accept-Ranges"] = "bytes"
        response.headers["ETag"] = etag
        response.headers["Last-Modified"] = http_date(mtime)
        response.headers["Cache-Control"] = cache_control
        for header, value in (extra_headers or {}).items():
            response.headers[header] = value
        if on_served is not None:
            served = Served(
                method=method,
                status=status or response.status_code,
                start=start,
                end=end,
                size=size,
                via_nginx=via_nginx,
                range_requested=ranged,
            )
            on_served(request, served)
        return response

    conditional = get_conditional_response(request, etag=etag, last_modified=mtime)
    if conditional is not None:  # 304 Not Modified or 412 Precondition Failed
        return finish(conditional)

    byte_range = None
    if request.headers.get("Range") and _if_range_matches(request, etag, mtime):
        try:
            byte_range = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            refused = HttpResponse(status=416)
            refused.headers["Content-Range"] = f"bytes */{size}"
            return finish(refused)
    start, end = byte_range if byte_range is not None else (0, size - 1)
    length = end - start + 1
    status = 206 if byte_range is not None else 200

    response: HttpResponse | FileResponse
    if via_nginx:
        # nginx re-reads Range and the validators itself and answers 206/304 on its own; it keeps our
        # Content-Type, Content-Disposition, Accept-Ranges and Cache-Control (docs/audio-delivery.md).
        response = HttpResponse(content_type=content_type)
        response.headers["X-Accel-Redirect"] = settings.PODCASTCME_X_ACCEL_REDIRECT_PREFIX + quote(name)
    elif method == "HEAD":
        response = HttpResponse(content_type=content_type, status=status)
    else:
        handle = storage.open(name, "rb")
        if byte_range is None:
            file_response = FileResponse(handle, content_type=content_type, status=status)
        else:  # FileResponse reads the limited reader in blocks; no fileno, so no sendfile past the range
            file_response = FileResponse(
                _RangeReader(handle, start, length), content_type=content_type, status=206
            )
        file_response.block_size = BLOCK_SIZE
        response = file_response
    if not via_nginx:
        response.headers["Content-Length"] = str(length)
        if byte_range is not None:
            response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    disposition = content_disposition_header(False, download_name) if download_name else None
    if disposition:  # always, for a name: None only when there is neither attachment nor name
        response.headers["Content-Disposition"] = disposition
    elif "Content-Disposition" in response.headers:
        del response.headers["Content-Disposition"]  # FileResponse would name the random storage file
    sent = (start, end) if method == "GET" else (None, None)
    # Behind nginx the client still gets a 206 for a range: report what it receives, not our 200.
    return finish(response, *sent, status=status, ranged=byte_range is not None)


def _redirect_to_bucket(request, field, content_type, cache_control, download_name, extra_headers, on_served):
    """302 to a signed URL of the object; the bucket answers Range, HEAD and conditional requests.

    The counting hook hears what the client will get from the bucket (the same single-range rules),
    so the file's size is asked of the bucket only when something counts.
    """
    if on_served is not None:
        try:
            size = field.storage.size(field.name)
        except (FileNotFoundError, OSError):
            raise Http404 from None
        try:
            byte_range = parse_range(request.headers.get("Range"), size)
        except Unsatisfiable:
            on_served(request, Served(request.method, 416, None, None, size, False, False))
        else:
            first, last = byte_range if byte_range is not None else (0, size - 1)
            body = request.method == "GET"  # HEAD: no body
            on_served(
                request,
                Served(
                    method=request.method,
                    status=206 if byte_range is not None else 200,
                    start=first if body else None,
                    end=last if body else None,
                    size=size,
                    via_nginx=False,
                    range_requested=byte_range is not None,
                ),
            )
    response = signed_redirect(
        field.storage,
        field.name,
        seconds=audio_seconds(),
        content_type=content_type,
        filename=download_name,
        cache_control=cache_control,
        method=request.method,
    )
    for header, value in (extra_headers or {}).items():
        response.headers[header] = value
    return response
