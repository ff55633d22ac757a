"""Cleaning user text for pages and XML, and show notes to safe HTML (from Markdown, HTML or plain text)."""

import html
import re

import markdown
import nh3

# Characters XML 1.0 forbids (C0 controls other than tab, newline, carriage return; lone
# surrogates; U+FFFE/U+FFFF). feedgen raises on them, so they never reach a model field.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"colspan"}, "th": {"colspan"}}


def strip_control_chars(value: str) -> str:
    return _XML_ILLEGAL.sub("", value or "")


def clean_line(value: str) -> str:
    """A one-line field (a title): control characters removed, whitespace collapsed."""
    return " ".join(strip_control_chars(value).split())


def render_notes(markdown_text: str) -> str:
    """Markdown show notes to sanitised HTML: no scripts, styles, event handlers or raw markup."""
    return sanitise_html(
        markdown.markdown(strip_control_chars(markdown_text), extensions=["sane_lists", "tables"])
    )


def sanitise_html(markup: str) -> str:
    """HTML from elsewhere (an imported feed's notes) through the same allow-list as rendered notes."""
    return nh3.clean(
        strip_control_chars(markup),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def text_to_html(text: str) -> str:
    """Plain-text notes shown as written: escaped, blank lines make paragraphs, newlines breaks."""
    paragraphs = re.split(r"\n\s*\n", strip_control_chars(text).replace("\r\n", "\n").strip())
    return "".join(
        "<p>" + html.escape(paragraph.strip(), quote=False).replace("\n", "<br>") + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


def notes_to_html(notes: str, notes_format: str = "markdown") -> str:
    """The HTML of show notes in their format: Markdown rendered, HTML sanitised, text escaped."""
    if notes_format == "html":
        return sanitise_html(notes)
    if notes_format == "text":
        return text_to_html(notes)
    return render_notes(notes)
