"""The CME credit namespace document (docs/cme-namespace.md), served by every site at
``/ns/cme/1.0`` (podcast_ext.CME_NS names it): the feeds' ``<cme:spec url>`` points here."""

from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from ..text import sanitise_html


def _document_path() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "cme-namespace.md"  # settings read at call time


@lru_cache(maxsize=1)
def _document_html() -> SafeString:
    # Our own file, read once per process; sanitised all the same (the page has a strict CSP).
    text = _document_path().read_text(encoding="utf-8")
    if text.startswith("# "):  # the page's own <h1> carries the title
        text = text.split("\n", 1)[1]
    html = markdown.markdown(text, extensions=["tables", "fenced_code", "sane_lists"])
    return mark_safe(sanitise_html(html))  # noqa: S308 - sanitised above


@require_safe
def cme_namespace(request):
    """Public: anyone (an app developer, the Podcasting 2.0 community) reads the proposal."""
    return render(request, "episodes/cme_namespace.html", {"document": _document_html()})
