"""Comment text as HTML: remote replies sanitised with nh3 to a small allow-list; site comments are
plain text, escaped, their line breaks kept and their web addresses made links. Both go through the
same nh3 pass before they are stored in ``Comment.body_html``, the only comment field marked safe."""

import re
from html import escape

import nh3

MAX_SITE_CHARS = 5000  # a site comment's text
MAX_REMOTE_HTML_CHARS = 50_000  # a remote reply's content before sanitising (Mastodon's is ~500 chars)

LINK_REL = "nofollow ugc noopener"
_TAGS = {"p", "br", "a", "span"}
_ATTRIBUTES = {"a": {"href"}}
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING = ".,;:!?)]}'\""


def clean_html(markup: str) -> str:
    """The allow-list: p, br, span, a[href] (http/https only, rel="nofollow ugc noopener")."""
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()


def remote_html(content_html: str) -> str:
    """A remote reply's content, sanitised (scripts, styles, images, classes and events removed)."""
    return clean_html(_CONTROL.sub("", content_html[:MAX_REMOTE_HTML_CHARS]))


def plain_text(text: str) -> str:
    """A site comment's text as typed: control characters out, line ends unified, trimmed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _linkify(line: str) -> str:
    out = []
    position = 0
    for match in _URL_IN_TEXT.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        out.append(escape(line[position : match.start()]))
        out.append(f'<a href="{escape(url)}" rel="{LINK_REL}">{escape(url)}</a>')
        position = match.start() + len(url)
    out.append(escape(line[position:]))
    return "".join(out)


def site_html(text: str) -> str:
    """A site comment as HTML: paragraphs at blank lines, <br> at line breaks, addresses linked."""
    paragraphs = [part for part in re.split(r"\n\s*\n", plain_text(text)) if part.strip()]
    html = "".join(
        "<p>" + "<br>".join(_linkify(line) for line in part.split("\n")) + "</p>" for part in paragraphs
    )
    return clean_html(html)


def has_url(text: str) -> bool:
    return _URL_IN_TEXT.search(text) is not None
