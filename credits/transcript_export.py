"""The transcript as files: CSV for spreadsheets (streamed), PDF (WeasyPrint) to hand in at licence
renewal, built by a background task (a transcript of a thousand credits takes seconds to lay out).

The PDF's life, without a table of its own: the request writes ``transcripts/<learner>/<token>.requested``
in the default storage and enqueues ``build_transcript_pdf``; the task writes ``<token>.pdf`` and then
``<token>.ready`` (holding the download's file name), or ``<token>.failed``. The learner's page says
"being prepared" until the ready mark exists, then offers the download. Only the learner's own folder is
ever read, so another learner's token is simply not found. Each build removes the learner's files older
than a day (a transcript is personal data; the learner can make a fresh one at any time)."""

import csv
import datetime
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from accounts.models import User

from .credit_transcript import Transcript, learner_transcript
from .csv_cells import csv_cell
from .models import MandateTopic
from .statements import format_credits

CSV_HEADER = (
    gettext_lazy("Completion date"),
    gettext_lazy("Activity"),
    gettext_lazy("Provider"),
    gettext_lazy("Credits"),
    gettext_lazy("Credit type"),
    gettext_lazy("Mandate topics"),
    gettext_lazy("Source"),
    gettext_lazy("Certificate number"),
    gettext_lazy("Verification URL"),
    gettext_lazy("Credit type code"),
)


CHUNK_ROWS = 500


class _Echo:
    """A file-like object whose write returns the line: csv.writer formats, the response streams it."""

    def write(self, value: str) -> str:
        return value


def transcript_csv_lines(transcript: Transcript) -> Iterator[str]:
    """The transcript CSV line by line, for a streamed download: one row per credit and credit type
    (no totals: a spreadsheet adds them up per type); UTF-8 with a BOM for Excel.

    Long format, so the file imports as one table: a certificate carrying AMA (or participation) hours
    and ANCC hours is two rows with the same certificate number, each with one amount and its type.
    The last column is the credit type's stable code (``ama_pra_1``, ``participation``, ``ancc``,
    ``acpe``, ``aapa_1``, ``ipce``, and the self-reported types) for pivot tables and scripts; the
    label may be translated, the code is not."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    piece = ["\ufeff" + writer.writerow([str(h) for h in CSV_HEADER])]
    self_reported = _("Self-reported")
    for row in transcript.rows:
        if len(piece) >= CHUNK_ROWS:  # a piece per 500 rows: a write per row costs more than the row
            yield "".join(piece)
            piece = []
        piece.append(
            writer.writerow(
                (
                    row.date.isoformat(),
                    # Only someone's text can start like a formula; dates, amounts, our labels,
                    # certificate numbers and addresses never do.
                    csv_cell(row.title),
                    csv_cell(row.provider),
                    format_credits(row.credits),
                    row.credit_type_label,
                    csv_cell("; ".join(row.topics)),
                    self_reported if row.self_reported else "podcastcme",
                    row.certificate_number,
                    row.verification_url,
                    row.credit_type,
                )
            )
        )
    yield "".join(piece)


def transcript_csv(transcript: Transcript) -> bytes:
    """The whole transcript CSV at once (the download streams ``transcript_csv_lines``)."""
    return "".join(transcript_csv_lines(transcript)).encode("utf-8")


def _page_size() -> str:
    size = str(settings.PODCASTCME_CERTIFICATE_PAGE_SIZE).strip().lower()
    return "A4" if size == "a4" else "letter"


def transcript_pdf(transcript: Transcript, *, learner: User) -> bytes:
    """The transcript on portrait paper: the learner's legal name, the period, rows and totals."""
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    profile = getattr(learner, "profile", None)
    html = render_to_string(
        "credits/transcript_pdf.html",
        {
            "transcript": transcript,
            "learner_name": (profile.legal_name if profile else "") or learner.email,
            "degree": profile.credential if profile else "",
            "page_size": _page_size(),
            "generated": timezone.localtime(),
        },
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def export_filename(transcript: Transcript, extension: str) -> str:
    today = timezone.localdate()
    start = transcript.start.isoformat() if transcript.start else ""
    end = (transcript.end or today).isoformat()
    period = f"{start}_to_{end}" if start else f"to_{end}"
    return f"transcript_{period}.{extension}"


# --- The PDF, built by a task -----------------------------------------------------------------------

logger = logging.getLogger(__name__)

TOKEN_LENGTH = 32  # hex characters (secrets.token_hex(16))
# How long the learner's page keeps reloading before it says the PDF is late (no worker running?).
PDF_WAIT = datetime.timedelta(minutes=10)
# Built PDFs (and their marks) older than this are removed when the learner builds another.
PDF_KEEP = datetime.timedelta(days=1)


def _folder(learner_id: int) -> str:
    return f"transcripts/{int(learner_id)}/"


def _valid_token(token: str) -> bool:
    return len(token) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in token)


@dataclass(frozen=True)
class PdfState:
    state: str  # "pending", "ready" or "failed"
    requested_at: datetime.datetime | None
    filename: str = ""
    path: str = ""  # the stored PDF's name, once ready

    @property
    def late(self) -> bool:
        return (
            self.state == "pending"
            and self.requested_at is not None
            and timezone.now() - self.requested_at > PDF_WAIT
        )


def transcript_pdf_request(
    *,
    learner: User,
    start: datetime.date | None,
    end: datetime.date | None,
    topic: MandateTopic | None,
) -> str:
    """Ask for the learner's transcript PDF with these filters; returns the token of its page. The
    task is enqueued at once; with the
    immediate backend (development, tests) the PDF is ready when this returns."""
    token = secrets.token_hex(TOKEN_LENGTH // 2)
    default_storage.save(
        f"{_folder(learner.pk)}{token}.requested", ContentFile(timezone.now().isoformat().encode())
    )
    args = (
        learner.pk,
        token,
        start.isoformat() if start else None,
        end.isoformat() if end else None,
        topic.slug if topic else None,
    )
    # Nothing of this request is in the database (the marks are files): enqueue now, not on commit.
    build_transcript_pdf.enqueue(*args)
    return token


def transcript_pdf_state(*, learner: User, token: str) -> PdfState | None:
    """Where the learner's PDF ``token`` is; None for a token that is not theirs (or never was)."""
    if not _valid_token(token):
        return None
    base = f"{_folder(learner.pk)}{token}"
    storage = default_storage
    if not storage.exists(f"{base}.requested"):
        return None
    try:
        requested_at: datetime.datetime | None = datetime.datetime.fromisoformat(
            _read_text(f"{base}.requested")
        )
    except ValueError:
        requested_at = None
    if storage.exists(f"{base}.ready"):
        return PdfState("ready", requested_at, filename=_read_text(f"{base}.ready"), path=f"{base}.pdf")
    if storage.exists(f"{base}.failed"):
        return PdfState("failed", requested_at)
    return PdfState("pending", requested_at)


def _read_text(name: str) -> str:
    with default_storage.open(name, "rb") as handle:
        return handle.read().decode("utf-8").strip()


@task()
def build_transcript_pdf(
    learner_id: int, token: str, start: str | None, end: str | None, topic: str | None
) -> None:
    """Lay out the learner's transcript PDF and store it with its ready mark (or a failed mark)."""
    if not _valid_token(token):
        return
    learner = User.objects.filter(pk=learner_id).select_related("profile").first()
    if learner is None:
        return
    base = f"{_folder(learner_id)}{token}"
    try:
        transcript = learner_transcript(
            learner=learner,
            start=datetime.date.fromisoformat(start) if start else None,
            end=datetime.date.fromisoformat(end) if end else None,
            topic=MandateTopic.objects.filter(slug=topic).first() if topic else None,
        )
        pdf = transcript_pdf(transcript, learner=learner)
        if not pdf.startswith(b"%PDF-"):
            raise ValueError("WeasyPrint returned something that is not a PDF")
        default_storage.save(f"{base}.pdf", ContentFile(pdf))
        # The mark comes last: a PDF cut short is never offered.
        default_storage.save(f"{base}.ready", ContentFile(export_filename(transcript, "pdf").encode()))
    except Exception:
        logger.exception("transcript PDF %s of learner %s failed", token, learner_id)
        default_storage.save(f"{base}.failed", ContentFile(b"failed"))
        raise
    finally:
        _remove_old(learner_id, keep=token)


def _remove_old(learner_id: int, *, keep: str) -> None:
    """Delete the learner's transcript files older than PDF_KEEP (never those of ``keep``)."""
    folder = _folder(learner_id)
    try:
        _dirs, files = default_storage.listdir(folder)
        cutoff = timezone.now() - PDF_KEEP
        for name in files:
            if name.startswith(keep) or default_storage.get_modified_time(folder + name) >= cutoff:
                continue
            default_storage.delete(folder + name)
    except (OSError, NotImplementedError):  # tidying up must never fail the build
        logger.warning("could not tidy the transcript files of learner %s", learner_id, exc_info=True)
