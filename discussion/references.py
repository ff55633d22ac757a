"""References a comment cites: DOI, PMID or a web address, parsed, normalised, validated and shown
as citations.

Two sources, two tempers:

- ``parse_field`` reads the references field of a site comment (one per line or comma-separated:
  ``doi:10.1056/NEJMoa2034577``, ``10.1056/…``, ``https://doi.org/10.…``, ``PMID: 12345678``,
  ``pmid 12345678``, any http(s) address). It is strict: a bad item refuses the whole field with a
  message naming that item, so the author can fix it.
- ``from_html`` reads a reply from another server (sanitised HTML). It is lenient: it keeps what it
  recognises (DOI and PMID patterns in the text, links that are not mentions or hashtags) and drops
  the rest, since nobody is there to correct it.

Values are normalised as ``CommentReference.value`` stores them: a DOI lower-cased without its
prefix (DOIs are case-insensitive), a PMID as its digits without leading zeros, a URL as given.
"""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from . import sanitise

MAX_REFERENCES = 10
MAX_FIELD_CHARS = 3000  # the whole references field
MAX_ITEM_CHARS = 500  # one reference (CommentReference.value's column)

DOI_PATTERN = re.compile(r"10\.\d{4,9}/\S+")
PMID_PATTERN = re.compile(r"[0-9]{1,8}")
KIND_DOI, KIND_PMID, KIND_URL = "doi", "pmid", "url"  # CommentReference.Kind's values

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_DOI_PREFIX = re.compile(r"^doi\s*:?\s*", re.IGNORECASE)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(.+)$", re.IGNORECASE)
_PMID_PREFIX = re.compile(r"^pmid\s*:?\s*(.*)$", re.IGNORECASE)
_PUBMED_URL = re.compile(r"^https?://(?:www\.)?pubmed\.ncbi\.nlm\.nih\.gov/([0-9]{1,8})/?$", re.IGNORECASE)
_NCBI_PUBMED_URL = re.compile(
    r"^https?://(?:www\.)?ncbi\.nlm\.nih\.gov/pubmed/([0-9]{1,8})/?$", re.IGNORECASE
)
# A comma (or semicolon) between two items; a comma inside a URL or DOI stays, since the next item
# must start like a reference.
_SPLIT = re.compile(
    r"[\r\n]+|[,;]\s*(?=(?:doi\b|pmid\b|https?://|10\.\d|\d{1,8}\s*(?:[,;]|$)))", re.IGNORECASE
)
_URL_VALIDATOR = URLValidator(schemes=["http", "https"])

# In remote text: "doi:10.…", "https://doi.org/10.…" or a bare "10.…/…"; "PMID: 123", "PMID 123".
_TEXT_DOI = re.compile(r"(?<![\w/.])10\.\d{4,9}/[^\s<>\"']+")
_TEXT_PMID = re.compile(r"\bPMID\s*:?\s*([0-9]{1,8})\b", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class ReferenceError(ValueError):
    """A references field that cannot be read; ``message`` names the bad item."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Reference:
    kind: str  # "doi" | "pmid" | "url"
    value: str

    @property
    def href(self) -> str:
        return citation_href(self.kind, self.value)

    @property
    def label(self) -> str:
        return citation_label(self.kind, self.value)


def citation_href(kind: str, value: str) -> str:
    """Where a citation links: the DOI resolver, PubMed, or the address itself."""
    if kind == KIND_DOI:
        return "https://doi.org/" + quote(value, safe="/:;()._-")
    if kind == KIND_PMID:
        return f"https://pubmed.ncbi.nlm.nih.gov/{value}/"
    return value


def citation_label(kind: str, value: str) -> str:
    """How a citation reads: "doi:10.…", "PMID 123", or a web address's host."""
    if kind == KIND_DOI:
        return f"doi:{value}"
    if kind == KIND_PMID:
        return f"PMID {value}"
    host = urlsplit(value).hostname or value
    return host.removeprefix("www.")


def _shown(item: str) -> str:
    """An item as a message quotes it: control characters removed, long ones cut."""
    text = _CONTROL.sub("", item)
    return text if len(text) <= 60 else text[:57] + "…"


def _doi(candidate: str) -> str | None:
    candidate = candidate.strip()
    if len(candidate) > MAX_ITEM_CHARS or not DOI_PATTERN.fullmatch(candidate):
        return None
    return candidate.lower()


def _pmid(candidate: str) -> str | None:
    candidate = candidate.strip()
    if not PMID_PATTERN.fullmatch(candidate) or int(candidate) == 0:
        return None
    return str(int(candidate))


def _url(candidate: str) -> str | None:
    if len(candidate) > MAX_ITEM_CHARS:
        return None
    try:
        _URL_VALIDATOR(candidate)
    except ValidationError:
        return None
    return candidate


def parse_item(item: str) -> Reference:
    """One reference as a person typed it; ReferenceError names it when it is none of the forms."""
    text = item.strip()
    if _CONTROL.search(text):
        raise ReferenceError(
            _("“%(item)s” contains characters that cannot be part of a reference.") % {"item": _shown(text)}
        )
    if len(text) > MAX_ITEM_CHARS:
        raise ReferenceError(
            _("“%(item)s” is too long for a reference (at most %(max)d characters).")
            % {"item": _shown(text), "max": MAX_ITEM_CHARS}
        )
    if match := _DOI_URL.match(text):
        value = _doi(unquote(match.group(1)))
        if value is None:
            raise ReferenceError(
                _("“%(item)s” is not a DOI link like https://doi.org/10.1056/NEJMoa2034577.")
                % {"item": _shown(text)}
            )
        return Reference(KIND_DOI, value)
    if match := (_PUBMED_URL.match(text) or _NCBI_PUBMED_URL.match(text)):
        return Reference(KIND_PMID, str(int(match.group(1))))
    if _DOI_PREFIX.match(text) and not text.lower().startswith("doi.org"):
        value = _doi(_DOI_PREFIX.sub("", text, count=1))
        if value is None:
            raise ReferenceError(
                _("“%(item)s” is not a DOI like doi:10.1056/NEJMoa2034577.") % {"item": _shown(text)}
            )
        return Reference(KIND_DOI, value)
    if text.startswith("10."):
        value = _doi(text)
        if value is None:
            raise ReferenceError(
                _("“%(item)s” is not a DOI like 10.1056/NEJMoa2034577.") % {"item": _shown(text)}
            )
        return Reference(KIND_DOI, value)
    if match := _PMID_PREFIX.match(text):
        value = _pmid(match.group(1))
        if value is None:
            raise ReferenceError(
                _("“%(item)s” is not a PubMed id: write PMID and 1 to 8 digits, like PMID 12345678.")
                % {"item": _shown(text)}
            )
        return Reference(KIND_PMID, value)
    if PMID_PATTERN.fullmatch(text):
        raise ReferenceError(_("“%(item)s”: write PMID %(item)s for a PubMed id.") % {"item": _shown(text)})
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.IGNORECASE) and not re.match(
        r"^https?://", text, re.IGNORECASE
    ):
        raise ReferenceError(
            _("“%(item)s”: only http and https web addresses can be references.") % {"item": _shown(text)}
        )
    if re.match(r"^https?://", text, re.IGNORECASE):
        value = _url(text)
        if value is None:
            raise ReferenceError(_("“%(item)s” is not a valid web address.") % {"item": _shown(text)})
        return Reference(KIND_URL, value)
    raise ReferenceError(
        _("“%(item)s” is not a DOI (10.1056/…), a PubMed id (PMID 12345678) or a web address (https://…).")
        % {"item": _shown(text)}
    )


def _unique(references: list[Reference]) -> list[Reference]:
    seen: set[Reference] = set()
    unique = []
    for reference in references:
        if reference not in seen:
            seen.add(reference)
            unique.append(reference)
    return unique


def parse_field(text: str) -> list[Reference]:
    """The references field of a site comment: normalised, in order, each once; ReferenceError otherwise."""
    if not text or not text.strip():
        return []
    if len(text) > MAX_FIELD_CHARS:
        raise ReferenceError(
            _("The references are too long: at most %(max)d characters in all.") % {"max": MAX_FIELD_CHARS}
        )
    items = [item.strip().strip(",;").strip() for item in _SPLIT.split(text)]  # stray separators
    references = _unique([parse_item(item) for item in items if item])
    if len(references) > MAX_REFERENCES:
        raise ReferenceError(
            _("At most %(max)d references: you gave %(count)d.")
            % {"max": MAX_REFERENCES, "count": len(references)}
        )
    return references


class _Links(HTMLParser):
    """The links of remote HTML and its text, leaving out mentions and hashtags (Mastodon marks them
    with class "mention" / "hashtag" or rel "tag")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = sanitise.link_href(attrs)  # the rule remote_html keeps links by
        if href:
            self.hrefs.append(href)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def from_html(content_html: str) -> list[Reference]:
    """References in a remote reply's HTML: DOI and PMID patterns in its text, and its links (a link
    to doi.org or PubMed becomes that DOI or PMID). Unrecognised items are dropped; at most
    MAX_REFERENCES."""
    parser = _Links()
    parser.feed(content_html or "")
    parser.close()
    found: list[Reference] = []
    for href in parser.hrefs:
        try:
            found.append(parse_item(href))
        except ReferenceError:
            continue
    text = " ".join(parser.text)
    for match in _TEXT_DOI.finditer(text):
        value = _doi(match.group(0).rstrip(_TRAILING))
        if value is not None:
            found.append(Reference(KIND_DOI, value))
    for match in _TEXT_PMID.finditer(text):
        value = _pmid(match.group(1))
        if value is not None:
            found.append(Reference(KIND_PMID, value))
    return _unique(found)[:MAX_REFERENCES]


def is_citation_link(href: str) -> bool:
    """Whether a link leads to a DOI or a PubMed record (doi.org, pubmed.ncbi.nlm.nih.gov)."""
    try:
        return parse_item(href).kind in {KIND_DOI, KIND_PMID}
    except ReferenceError:
        return False


def has_links(references: list[Reference]) -> bool:
    """Any reference that is a plain web address (DOI and PMID citations are not links here: they
    resolve through doi.org and PubMed, addresses we build ourselves)."""
    return any(reference.kind == KIND_URL for reference in references)
