"""The transcript as files: CSV for spreadsheets, PDF (WeasyPrint) to hand in at licence renewal."""

import csv
import io

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .credit_transcript import Transcript
from .csv_cells import csv_cell
from .statements import format_credits


def transcript_csv(transcript: Transcript) -> bytes:
    """One row per credit and credit type (no totals: a spreadsheet adds them up per type); UTF-8 with
    a BOM for Excel.

    Long format, so the file imports as one table: a certificate carrying AMA (or participation) hours
    and ANCC hours is two rows with the same certificate number, each with one amount and its type.
    The last column is the credit type's stable code (``ama_pra_1``, ``participation``, ``ancc``,
    ``acpe``, ``aapa_1``, ``ipce``, and the self-reported types) for pivot tables and scripts; the
    label may be translated, the code is not."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(
        [
            _("Completion date"),
            _("Activity"),
            _("Provider"),
            _("Credits"),
            _("Credit type"),
            _("Mandate topics"),
            _("Source"),
            _("Certificate number"),
            _("Verification URL"),
            _("Credit type code"),
        ]
    )
    for row in transcript.rows:
        writer.writerow(
            csv_cell(value)
            for value in (
                row.date.isoformat(),
                row.title,
                row.provider,
                format_credits(row.credits),
                row.credit_type_label,
                "; ".join(row.topics),
                _("Self-reported") if row.self_reported else "podcastcme",
                row.certificate_number,
                row.verification_url,
                row.credit_type,
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
