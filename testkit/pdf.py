"""Reading a certificate as a person does: the PDF's text (pdftotext), its QR code (zbarimg), its dates."""

import subprocess
import tempfile
import unicodedata
from pathlib import Path

from django.utils.dateformat import format as date_format

from credits.models import Certificate

BIDI_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"))


def pdf_text(data: bytes) -> str:
    """pdftotext's reading of the PDF, whitespace collapsed and its bidi marks removed."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        text = subprocess.run(
            ["pdftotext", handle.name, "-"], capture_output=True, check=True
        ).stdout.decode()
    return " ".join(unicodedata.normalize("NFC", text.translate(BIDI_MARKS)).split())


def qr_payload(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "c.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "150", str(pdf), str(Path(folder) / "page")], check=True)
        png = next(Path(folder).glob("page*.png"))
        result = subprocess.run(["zbarimg", "--raw", "-q", str(png)], capture_output=True, check=True)
    return result.stdout.decode().strip()


def printed(day) -> str:
    """A date as the certificate prints it."""
    return date_format(day, "F j, Y")


def stored_bytes(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as handle:
        return handle.read()
