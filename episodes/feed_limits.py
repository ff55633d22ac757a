"""What directories accept in a feed item: descriptions cut to 4,000 bytes, the M4A type Apple documents."""

import html
import re
from html.parser import HTMLParser

from .text import ALLOWED_TAGS

# Apple, Podcasts Connect "RSS feed requirements" (help.apple.com/itc/podcasts_connect/#/itcb54353390):
# an episode <description> holds "up to 4000 bytes"; the full notes go in content:encoded, uncut.
MAX_DESCRIPTION_BYTES = 4000
ELLIPSIS = "…"  # 3 bytes in UTF-8
_ELLIPSIS_BYTES = len(ELLIPSIS.encode())

# The same page: "The type values for the supported file formats are: audio/x-m4a, audio/mpeg, ...".
# We store the standard audio/mp4 (what mutagen and the audio view use); the feed says audio/x-m4a.
_ENCLOSURE_TYPES = {"audio/mp4": "audio/x-m4a"}

_VOID_TAGS = {"br", "hr"}  # the void elements of the notes' allow-list (episodes/text.py)
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*(?=\s)")
_TRAILING = " \t\r\n,;:–—-("


def enclosure_type(mime: str) -> str:
    """The enclosure type the feed announces for audio stored as ``mime``."""
    return _ENCLOSURE_TYPES.get(mime, mime)


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_description(notes_html: str, max_bytes: int = MAX_DESCRIPTION_BYTES) -> str:
    """``notes_html`` when it fits in ``max_bytes`` of UTF-8; else its beginning, cut at a sentence or
    word boundary, ended with an ellipsis, with every element it leaves open closed again.

    The notes are sanitised HTML (episodes/text.py), so they parse as a tree of allowed tags.
    """
    if len(notes_html) * 4 <= max_bytes or utf8_length(notes_html) <= max_bytes:
        return notes_html  # (4 bytes a character at most: short notes skip the encoding)
    cutter = _Cutter(max_bytes)
    cutter.feed(notes_html)
    cutter.close()
    return cutter.result()


class _Cutter(HTMLParser):
    """Copies the notes token by token while the copy, its ellipsis and the end tags of the elements
    still open fit in the budget; the first text that does not fit is cut at a boundary."""

    def __init__(self, budget: int):
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.parts: list[str] = []
        self.used = 0
        self.open: list[str] = []
        self.closing = 0  # bytes of the end tags of self.open
        self.done = False

    def _room(self) -> int:
        return self.budget - self.used - self.closing - _ELLIPSIS_BYTES

    def _append(self, piece: str) -> None:
        self.parts.append(piece)
        self.used += utf8_length(piece)

    def _stop(self) -> None:
        if not self.done:
            self.done = True
            self._append(ELLIPSIS)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done or tag not in ALLOWED_TAGS:
            return  # (sanitised notes hold no other tag; its text is kept)
        attributes = "".join(
            f' {name}="{html.escape(value or "", quote=True)}"' for name, value in attrs if name.isalnum()
        )
        start = f"<{tag}{attributes}>"
        end = "" if tag in _VOID_TAGS else f"</{tag}>"
        if utf8_length(start) + utf8_length(end) > self._room():
            self._stop()
            return
        self._append(start)
        if end:
            self.open.append(tag)
            self.closing += utf8_length(end)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS and self.open and self.open[-1] == tag and not self.done:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.done or tag not in self.open:  # (an unknown or stray end tag: never opened here)
            return
        while self.open:  # (sanitised notes are well nested; this also closes what was left open)
            name = self.open.pop()
            end = f"</{name}>"
            self.closing -= utf8_length(end)
            self._append(end)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.done or not data:
            return
        escaped = html.escape(data, quote=False)
        if utf8_length(escaped) <= self._room():
            self._append(escaped)
            return
        self._append(html.escape(_cut_text(data, self._room(), self.budget // 4), quote=False))
        self._stop()

    def result(self) -> str:
        # Not done: everything fitted once re-serialised (a comment dropped, say): nothing was cut.
        while self.open:
            self._append(f"</{self.open.pop()}>")
        self.closing = 0
        return "".join(self.parts)


def _escaped_length(text: str) -> int:
    return utf8_length(html.escape(text, quote=False))


def _cut_text(text: str, room: int, max_loss: int) -> str:
    """The longest beginning of ``text`` whose escaped UTF-8 fits in ``room`` bytes, moved back to a
    sentence end, else a word boundary (the start of the text counts), when that loses at most
    ``max_loss`` characters; else cut between two characters (CJK text, one long URL). Trailing
    spaces and commas go; a sentence end keeps a space before the ellipsis."""
    room -= 1  # room for the space between a sentence's end and the ellipsis
    if room <= 0:
        return ""
    low, high = 0, len(text)
    while low < high:  # the escaped length only grows with the prefix: the longest that fits
        middle = (low + high + 1) // 2
        if _escaped_length(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    prefix = text[:low]
    if low < len(text) and not text[low].isspace():
        shortest = len(prefix) - max_loss
        sentences = [m.end() for m in _SENTENCE_END.finditer(prefix + " ")]
        space = max(prefix.rfind(" "), prefix.rfind("\n"), prefix.rfind("\t"), 0)
        if sentences and sentences[-1] >= shortest:
            prefix = prefix[: sentences[-1]]
        elif space >= shortest:
            prefix = prefix[:space]
    prefix = prefix.rstrip(_TRAILING)
    return prefix + " " if prefix[-1:] in (".", "!", "?", "。", "！", "？") else prefix
