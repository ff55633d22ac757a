"""Stored files on a local disk or in an S3 bucket, through Django's storage API only.

The embedded default keeps files in MEDIA_ROOT (``FileSystemStorage``). With ``PODCASTCME_S3_BUCKET``
set (podcastcme/settings/base.py, docs/object-storage.md) the default storage is django-storages'
``S3Storage``: nothing in the bucket is public, and the app, having decided that a request may have a
file, answers ``302`` to a signed URL that expires (``signed_redirect``). Everything here works on
both kinds of storage:

- ``is_remote(storage)``: the storage has no local paths (S3), so nothing may call ``.path``.
- ``local_copy(storage, name)``: a path on disk to read a stored file with a program that needs one
  (mutagen): the file itself on a local disk, a temporary download from the bucket otherwise.
- ``editable_copy(storage, name)``: the same for a tool that rewrites the file in place (tagging);
  from a bucket the edited copy is uploaded back under the same name (the URL never changes).
  For a file that is not yet referenced by a committed row (a new upload).
- ``StagedCopy(storage, name)``: a private copy of a stored file to edit *before* a transaction
  opens; ``replace_stored()`` puts it in place of the stored file *after* the commit (an upload to
  the bucket, an atomic rename on a local disk). If the edit is rolled back, the stored file is
  never touched and the copy is simply discarded (docs/object-storage.md, "No network call inside
  a transaction").
- ``signed_url`` / ``signed_redirect``: the one place that makes a bucket URL for a client.
"""

import io
import os
import shutil
import stat
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage
from django.http import HttpResponse
from django.utils.encoding import iri_to_uri
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header

from .upload import UPLOAD_TEMP_PREFIX, upload_temp_dir, upload_temp_file

COPY_BLOCK = 1024 * 1024


def _unwrapped(storage: Any) -> Any:
    """The real storage behind ``default_storage`` (a LazyObject)."""
    if isinstance(storage, LazyObject):
        lazy: Any = storage
        if lazy._wrapped is empty:
            lazy._setup()
        return lazy._wrapped
    return storage


# Storage class -> whether it keeps no local files: asked on every audio request, so answered once.
_REMOTE_CLASSES: dict[type, bool] = {}


def is_remote(storage: Any) -> bool:
    """True when the storage keeps no local files (``path()`` is Django's NotImplementedError)."""
    cls = type(_unwrapped(storage))
    remote = _REMOTE_CLASSES.get(cls)
    if remote is None:
        remote = _REMOTE_CLASSES[cls] = getattr(cls, "path", Storage.path) is Storage.path
    return remote


@contextmanager
def local_copy(storage: Any, name: str) -> Iterator[str]:
    """A path on this machine holding the stored file ``name``, for reading only.

    On a local disk it is the stored file; from a bucket, a temporary file (named so that
    ``sweep_upload_temp`` finds it if a worker dies) deleted when the block ends.
    """
    if not is_remote(storage):
        yield storage.path(name)
        return
    with upload_temp_file(name) as tmp:
        with storage.open(name, "rb") as source:
            shutil.copyfileobj(source, tmp, COPY_BLOCK)
        tmp.flush()
        yield tmp.name


@contextmanager
def editable_copy(storage: Any, name: str) -> Iterator[str]:
    """A path to rewrite the stored file ``name`` in place; from a bucket, uploaded back after the block.

    The object keeps its key (so its URL), and S3 replaces it atomically: a reader gets either the
    old or the new bytes. If the block raises, nothing is uploaded.
    """
    if not is_remote(storage):
        yield storage.path(name)
        return
    with local_copy(storage, name) as path:
        yield path
        with open(path, "rb") as edited, storage.open(name, "wb") as target:
            shutil.copyfileobj(edited, target, COPY_BLOCK)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:  # already put in place (a local rename) or removed
        pass


class StagedCopy:
    """A private copy of the stored file ``name``, edited before a transaction, put in place after it.

    - from a bucket: downloaded now to a temporary file (named so that ``sweep_upload_temp`` finds
      it if the worker dies); ``replace_stored()`` uploads it under the same key (S3 replaces an
      object atomically: a reader gets the old or the new bytes, and the key, so every URL, stays);
    - on a local disk: copied now next to the stored file; ``replace_stored()`` renames it over the
      stored file (atomic on one file system: nginx, serving through a link, sees old or new bytes).

    The stored file is not touched until ``replace_stored()``; ``discard()`` (or garbage collection,
    when a rolled-back transaction drops the callback holding the copy) removes the copy.
    """

    def __init__(self, storage: Any, name: str):
        self.storage, self.name = storage, name
        self._local_target = None if is_remote(storage) else storage.path(name)
        directory = os.path.dirname(self._local_target) if self._local_target else upload_temp_dir()
        extension = os.path.splitext(name)[1]
        handle, self.path = tempfile.mkstemp(
            prefix=UPLOAD_TEMP_PREFIX, suffix=".upload" + extension, dir=directory
        )
        self._finalizer = weakref.finalize(self, _remove_quietly, self.path)
        try:
            with os.fdopen(handle, "wb") as copy:
                if self._local_target:
                    with open(self._local_target, "rb") as source:
                        shutil.copyfileobj(source, copy, COPY_BLOCK)
                else:
                    with storage.open(name, "rb") as source:
                        shutil.copyfileobj(source, copy, COPY_BLOCK)
        except BaseException:
            self.discard()
            raise

    @property
    def size(self) -> int:
        return os.path.getsize(self.path)

    def replace_stored(self) -> None:
        """Put the edited copy in place of the stored file (the same name), then drop the copy."""
        try:
            if self._local_target:
                # The copy has mkstemp's 0600: give it the stored file's mode (nginx must read it).
                os.chmod(self.path, stat.S_IMODE(os.stat(self._local_target).st_mode))
                os.replace(self.path, self._local_target)
            else:
                with open(self.path, "rb") as edited, self.storage.open(self.name, "wb") as target:
                    shutil.copyfileobj(edited, target, COPY_BLOCK)
        finally:
            self.discard()

    def discard(self) -> None:
        self._finalizer()


class _RangedObject(io.RawIOBase):
    """An object in a bucket read with one HTTP ``Range`` request per ``read``.

    django-storages' own file object downloads the whole object on the first read; a parser that
    reads a few header bytes here and there (an MP4's top-level boxes) would fetch an hour of audio.
    """

    def __init__(self, storage: Any, name: str):
        from storages.utils import clean_name  # the embedded default never loads boto3

        super().__init__()
        # The key as S3Storage makes it (its location prefix joined to the cleaned name).
        self._object = storage.bucket.Object(storage._normalize_name(clean_name(name)))
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence != io.SEEK_SET:
            raise OSError("only absolute and relative seeks")
        self._position = max(offset, 0)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""
        from botocore.exceptions import ClientError

        last = "" if size is None or size < 0 else str(self._position + size - 1)
        try:
            data = self._object.get(Range=f"bytes={self._position}-{last}")["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "InvalidRange":  # at or past the end
                return b""
            if code in ("NoSuchKey", "404"):
                raise FileNotFoundError(str(error)) from None
            raise OSError(str(error)) from None
        self._position += len(data)
        return data


@contextmanager
def open_for_reading_parts(storage: Any, name: str) -> Iterator[Any]:
    """A binary file object of the stored file for reading a few parts (headers), never the whole
    object: the local file, or ranged requests to the bucket."""
    if not is_remote(storage):
        with storage.open(name, "rb") as handle:
            yield handle
        return
    with _RangedObject(_unwrapped(storage), name) as handle:
        yield handle


def _check_signing(storage: Any) -> None:
    if not getattr(storage, "querystring_auth", False) or getattr(storage, "custom_domain", None):
        # S3Storage.url() would then return a plain (unsigned) URL: never for private files.
        raise ImproperlyConfigured(
            "The media storage must sign its URLs: querystring_auth=True and no custom_domain "
            "(docs/object-storage.md)."
        )


def signed_url(
    storage: Any,
    name: str,
    *,
    seconds: int,
    content_type: str,
    filename: str = "",
    attachment: bool = False,
    cache_control: str = "",
    method: str = "GET",
) -> str:
    """A URL of the bucket that answers GET (and HEAD, ranges) for ``name`` during ``seconds``.

    The bucket answers it with our ``Content-Type``, ``Content-Disposition`` (``filename``, as an
    attachment or inline) and ``Cache-Control``: the signature covers these, so they cannot be
    changed by whoever holds the URL. S3 signs the method too: a HEAD request needs a URL signed
    for HEAD (``method="HEAD"``), a GET URL answers it 403.
    """
    storage = _unwrapped(storage)
    if not is_remote(storage):
        raise ValueError("signed_url is for object storage; local files are served by the app or nginx")
    _check_signing(storage)
    parameters = {"ResponseContentType": content_type}
    disposition = content_disposition_header(attachment, filename) if filename or attachment else None
    if disposition:
        parameters["ResponseContentDisposition"] = disposition
    if cache_control:
        parameters["ResponseCacheControl"] = cache_control
    return storage.url(name, parameters=parameters, expire=int(seconds), http_method=method)


def audio_seconds() -> int:
    return int(settings.PODCASTCME_S3_AUDIO_URL_SECONDS)


def private_seconds() -> int:
    return int(settings.PODCASTCME_S3_PRIVATE_URL_SECONDS)


def signed_redirect(
    storage: Any,
    name: str,
    *,
    seconds: int,
    content_type: str,
    filename: str = "",
    attachment: bool = False,
    cache_control: str = "",
    method: str = "GET",
) -> HttpResponse:
    """``302`` to ``signed_url(...)``; the redirect itself is never stored by any cache.

    ``cache_control`` is the file's own policy, sent by the bucket with the bytes (public audio may
    be cached a day, a draft or a certificate not at all); the redirect carries ``no-store``, so no
    cache hands out a signed URL after it expires or after the app stops allowing the file.
    """
    url = signed_url(
        storage,
        name,
        seconds=seconds,
        content_type=content_type,
        filename=filename,
        attachment=attachment,
        cache_control=cache_control,
        method="HEAD" if method == "HEAD" else "GET",
    )
    response = HttpResponse(status=302)
    response["Location"] = iri_to_uri(url)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
