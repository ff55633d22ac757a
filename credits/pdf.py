"""Certificate PDFs: WeasyPrint in a long-lived worker, one FontConfiguration and parsed CSS reused."""

import datetime
import logging
import threading
from decimal import Decimal
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string

from .models import Certificate, CreditType
from .statements import credit_mark_html, format_credits

PAGE_SIZES = {"letter": "letter landscape", "a4": "A4 landscape"}
# The bordered sheet fills the page inside its 0.35in margins (WeasyPrint has no 100% page height).
SHEET_HEIGHTS = {"letter landscape": "7.78in", "A4 landscape": "7.55in"}

# Importing WeasyPrint costs ~0.4 s and building a FontConfiguration plus parsing the stylesheet
# a good part of each render: do both once per process, when the first certificate is rendered.
_lock = threading.Lock()
# WeasyPrint reports each layout step at INFO: one line per step per certificate in the worker's log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
_font_config = None
_stylesheets: dict[str, object] = {}


def page_size() -> str:
    return PAGE_SIZES.get(str(settings.PODCASTCME_CERTIFICATE_PAGE_SIZE).lower(), PAGE_SIZES["letter"])


def stylesheet_text(size: str | None = None) -> str:
    size = size or page_size()
    css_path = Path(settings.BASE_DIR) / "templates" / "credits" / "certificate" / "certificate.css"
    text = css_path.read_text(encoding="utf-8")
    return text.replace("__PAGE_SIZE__", size).replace("__SHEET_HEIGHT__", SHEET_HEIGHTS[size])


def _resources():
    global _font_config
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    size = page_size()
    with _lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        if size not in _stylesheets:
            _stylesheets[size] = CSS(string=stylesheet_text(size), font_config=_font_config)
        return _font_config, _stylesheets[size]


def qr_data_uri(url: str) -> str:
    """The verification URL as a QR code (SVG data URI), medium error correction for worn paper."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=0, dark="#1b2a41")


def certificate_context(certificate: Certificate, verification_url: str, issued_on: datetime.date) -> dict:
    return {
        "c": certificate,
        "issued_on": issued_on,
        "is_physician": certificate.credit_type == CreditType.AMA_PRA_1,
        "credits": format_credits(certificate.credits),
        "designation": credit_mark_html(certificate.designation_statement),
        # Further credit types claimed, "<amount> <label>" and statement (credits/credit_types.py).
        "others": [
            {**line, "amount": format_credits(Decimal(str(line.get("amount", "0"))))}
            for line in certificate.other_credits or []
        ],
        "verification_url": verification_url,
        "qr": qr_data_uri(verification_url),
    }


def certificate_html(certificate: Certificate, verification_url: str, issued_on: datetime.date) -> str:
    context = certificate_context(certificate, verification_url, issued_on)
    return render_to_string("credits/certificate/certificate.html", context)


def html_to_pdf(document: str) -> bytes:
    """Render with the shared font configuration and stylesheet (the warm-worker path)."""
    from weasyprint import HTML

    font_config, css = _resources()
    return HTML(string=document, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[css], font_config=font_config
    )


def html_to_pdf_cold(document: str) -> bytes:
    """WeasyPrint's defaults: a new font configuration and a freshly parsed stylesheet (bench baseline)."""
    from weasyprint import CSS, HTML

    return HTML(string=document, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=[CSS(string=stylesheet_text())]
    )


def certificate_pdf_bytes(certificate: Certificate, verification_url: str, issued_on: datetime.date) -> bytes:
    return html_to_pdf(certificate_html(certificate, verification_url, issued_on))
