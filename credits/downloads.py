"""Short-lived signed links to an issued certificate's PDF, checked without a session."""

from dataclasses import dataclass
from time import monotonic

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Field
from django.urls import reverse

from .models import Certificate

SALT = "podcastcme.certificate-download"
MAX_AGE_SECONDS = 10 * 60


def certificate_download_path(certificate: Certificate) -> str:
    token = signing.dumps([certificate.pk, certificate.revision], salt=SALT)
    return reverse("credits:certificate_download", args=[token, f"{certificate.number}.pdf"])


@dataclass(frozen=True)
class IssuedFile:
    number: str
    pdf_name: str

    def open(self):
        return default_storage.open(self.pdf_name, "rb")


def certificate_from_token(token: str) -> IssuedFile | None:
    """The issued certificate a link names, or None when the link is expired, forged or outdated.

    The revision is in the link, so a link made before a re-issue stops working; the status is
    checked now, so a revoked certificate is never served. Plain SQL: this answers like a static
    file, and compiling an ORM query would cost more than everything else it does.
    """
    try:
        pk, revision = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(revision, int):
        return None
    window = settings.PODCASTCME_DOWNLOAD_RECHECK_SECONDS
    if window > 0:
        known = _recent.get((pk, revision))
        if known is not None and monotonic() - known[1] <= window:
            return known[0]
    issued = _issued_file(pk, revision)
    if window > 0:
        if len(_recent) > 10_000:
            _recent.clear()
        _recent[(pk, revision)] = (issued, monotonic())
    return issued


# (pk, revision) -> (file or None, when checked): repeated downloads within the window cost no
# query; a revocation reaches every worker within PODCASTCME_DOWNLOAD_RECHECK_SECONDS.
_recent: dict[tuple[int, int], tuple["IssuedFile | None", float]] = {}


def _column(name: str) -> str:
    field = Certificate._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"Certificate.{name} is not a concrete column")
    return field.column


def _issued_file(pk: int, revision: int) -> IssuedFile | None:
    meta = Certificate._meta
    quote = connection.ops.quote_name
    column = {name: quote(_column(name)) for name in ("id", "revision", "status", "number", "pdf")}
    sql = (
        f"SELECT {column['number']}, {column['pdf']} FROM {quote(meta.db_table)} "
        f"WHERE {column['id']} = %s AND {column['revision']} = %s AND {column['status']} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, revision, Certificate.Status.ISSUED])
        row = cursor.fetchone()
    return IssuedFile(number=row[0], pdf_name=row[1]) if row and row[1] else None
