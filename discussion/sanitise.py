"""Comment text as HTML: remote replies sanitised with nh3 to a small allow-list; site comments are
plain text, escaped, their line breaks kept and their web addresses made links. Both go through the
same nh3 pass before they are stored in ``Comment.body_html``, the only comment field marked safe."""

import re
from html import escape
from html.parser import HTMLParser

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


def link_href(attrs: list[tuple[str, str | None]]) -> str | None:
    """The address an ``<a>`` of remote HTML links to, as a browser reads it (its first href), or
    None for a mention or a hashtag (Mastodon marks them with class "mention" / "hashtag" or rel
    "tag"): those are neither references nor links for the moderation rule, so they are not kept as
    links either (``remote_html``), or a spammer's address marked "mention" would pass the rule."""
    classes = " ".join(value or "" for name, value in attrs if name == "class").split()
    rels = " ".join(value or "" for name, value in attrs if name == "rel").split()
    if "mention" in classes or "hashtag" in classes or "tag" in rels:
        return None
    return next(((value or "").strip() for name, value in attrs if name == "href"), "")


class _Rewrite(HTMLParser):
    """Remote HTML written again from what this parser read (the one ``references.from_html`` uses):
    text escaped, tags without attributes but a link's href, mention and hashtag links unwrapped
    (their text kept). nh3 then applies the allow-list to the result."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.anchors: list[bool] = []  # for each open <a>: was it written?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = link_href(attrs)
            self.anchors.append(href is not None)
            if href is not None:
                self.out.append(f'<a href="{escape(href)}">')
        else:
            self.out.append(f"<{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            if self.anchors and self.anchors.pop():
                self.out.append("</a>")
        else:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))


def remote_html(content_html: str) -> str:
    """A remote reply's content, sanitised (scripts, styles, images, classes and events removed;
    mentions and hashtags as text)."""
    parser = _Rewrite()
    parser.feed(_CONTROL.sub("", content_html[:MAX_REMOTE_HTML_CHARS]))
    parser.close()
    return clean_html("".join(parser.out))


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


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend((value or "").strip() for name, value in attrs if name == "href")


def link_targets(body_html: str) -> list[str]:
    """Where the links of stored comment HTML (``clean_html``'s output) lead, as the page shows them."""
    parser = _Hrefs()
    parser.feed(body_html)
    parser.close()
    return parser.hrefs
