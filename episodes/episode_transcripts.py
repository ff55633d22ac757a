"""An episode's transcript (WebVTT, SRT) and JSON chapters, read for display; bad files give nothing.

A transcript is parsed once, when its file is stored (read_transcript, called by the services and
the 0004 migration); the episode page shows the stored result (transcript_for_page) and never
reads the file.
"""

import html
import json
import logging
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import TranscriptText
from .text import strip_control_chars

logger = logging.getLogger(__name__)

# A transcript or chapters file is read whole for display; anything larger is not a real one.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_CHAPTERS = 500
# Limits of a transcript file: a three-hour episode has about 3,000 cues and 300 KB of WebVTT.
MAX_TRANSCRIPT_BYTES = 2 * 1024 * 1024
MAX_TRANSCRIPT_CUES = 20_000
# Paragraphs without speakers are cut at a sentence end once they reach this many characters.
PARAGRAPH_CHARS = 600

_TIMESTAMP = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)[.,](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>(.*?)(?:</v>|(?=<v[\s.>])|$)", re.S)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str = ""


@dataclass(frozen=True)
class Paragraph:
    start: float
    text: str
    speaker: str = ""

    @property
    def label(self) -> str:
        return format_time(self.start)

    @property
    def seconds(self) -> int:
        return int(self.start)


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    url: str = ""
    img: str = ""

    @property
    def label(self) -> str:
        return format_time(self.start)

    @property
    def seconds(self) -> int:
        """Whole seconds, for `#t=` media-fragment links."""
        return int(self.start)


def format_time(seconds: float) -> str:
    """1:02:03 or 2:03, as players show it."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _seconds(hours: str | None, minutes: str, secs: str, fraction: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(fraction.ljust(3, "0")) / 1000


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return strip_control_chars(data.lstrip("\ufeff")).replace("\r\n", "\n").replace("\r", "\n")


def _plain(payload: str) -> str:
    """Cue payload markup (<b>, <c.x>, <00:01.000>) removed and entities decoded: text for display."""
    return " ".join(html.unescape(_TAG.sub("", payload)).split())


def _cues_from_payload(start: float, end: float, payload: str) -> list[Cue]:
    """One cue per voice span (`<v Name>`); a payload without voices is one cue with no speaker."""
    voices = list(_VOICE.finditer(payload))
    if not voices:
        text = _plain(payload)
        return [Cue(start, end, text)] if text else []
    cues = []
    before = _plain(payload[: voices[0].start()])
    if before:
        cues.append(Cue(start, end, before))
    for match in voices:
        text = _plain(match.group(2) or "")
        speaker = " ".join((match.group(1) or "").split())
        if text:
            cues.append(Cue(start, end, text, speaker))
    return cues


def _parse_blocks(text: str) -> list[Cue]:
    """Cue blocks as both formats write them: [identifier], timing line, payload lines."""
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines[:2]):  # the timing is the first or second line
            match = _TIMING.match(line)
            if match:
                start = _seconds(*match.groups()[:4])
                end = _seconds(*match.groups()[4:])
                cues.extend(_cues_from_payload(start, end, "\n".join(lines[index + 1 :])))
                break
    return cues


def parse_vtt(data: bytes | str) -> list[Cue]:
    """WebVTT cues; a file not starting with WEBVTT is not WebVTT and gives none."""
    text = _decode(data)
    if not text.startswith("WEBVTT"):
        return []
    blocks = text.split("\n\n", 1)
    # NOTE, STYLE and REGION blocks hold no timing line, so _parse_blocks skips them.
    return _parse_blocks(blocks[1]) if len(blocks) > 1 else []


def parse_srt(data: bytes | str) -> list[Cue]:
    return _parse_blocks(_decode(data))


def parse_transcript(data: bytes | str) -> list[Cue]:
    """WebVTT or SRT, told apart by the WEBVTT header rather than by the file name."""
    text = _decode(data)
    return parse_vtt(text) if text.startswith("WEBVTT") else parse_srt(text)


def paragraphs(cues: list[Cue]) -> list[Paragraph]:
    """Readable text: consecutive cues of one speaker become one paragraph."""
    result: list[Paragraph] = []
    current: list[Cue] = []

    def flush() -> None:
        if current:
            text = " ".join(cue.text for cue in current)
            result.append(Paragraph(current[0].start, text, current[0].speaker))
            current.clear()

    for cue in cues:
        if current and cue.speaker != current[0].speaker:
            flush()
        elif current and not cue.speaker:
            length = sum(len(c.text) for c in current)
            if length >= PARAGRAPH_CHARS and current[-1].text.rstrip().endswith((".", "?", "!")):
                flush()
        current.append(cue)
    flush()
    return result


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < 10**7 else None


def _web_url(value) -> str:
    """Only http(s) links reach the page (a `javascript:` URL would run when clicked)."""
    if isinstance(value, str) and re.match(r"^https?://[^\s\"'<>]+$", value.strip()):
        return value.strip()
    return ""


def parse_chapters(data: bytes | str) -> list[Chapter]:
    """Podcasting 2.0 JSON chapters, sorted by start; malformed files or entries are skipped."""
    try:
        document = json.loads(data)
    except (ValueError, TypeError, RecursionError):
        return []
    items = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(items, list):
        return []
    chapters = []
    for item in items[:MAX_CHAPTERS]:
        if not isinstance(item, dict) or item.get("toc") is False:
            continue  # toc: false chapters are for players only, not the table of contents
        start = _number(item.get("startTime"))
        title = item.get("title")
        title = " ".join(strip_control_chars(title).split()) if isinstance(title, str) else ""
        if start is None or not title:
            continue
        chapters.append(Chapter(start, title[:300], _web_url(item.get("url")), _web_url(item.get("img"))))
    return sorted(chapters, key=lambda chapter: chapter.start)


def _read(field_file) -> bytes | None:
    """The stored file's bytes, or None when it is missing, unreadable or too large to be genuine."""
    if not field_file:
        return None
    try:
        if field_file.size > MAX_FILE_BYTES:
            return None
        with field_file.open("rb") as handle:
            return handle.read(MAX_FILE_BYTES)
    except (OSError, ValueError) as error:
        logger.warning("Cannot read %s: %s", field_file.name, error)
        return None


class TranscriptRefused(ValueError):
    """A transcript file over the limits; ``message`` says which, for the host."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReadTranscript:
    """A transcript file read for the episode page: what TranscriptText stores."""

    paragraphs: list[Paragraph]
    cue_count: int
    complete: bool = True

    def stored_paragraphs(self) -> list[list]:
        return [[p.start, p.speaker, p.text] for p in self.paragraphs]


def transcript_too_large_message() -> str:
    return _("The %(what)s file is too large (at most %(mb)d MB).") % {
        "what": _("transcript"),
        "mb": MAX_TRANSCRIPT_BYTES // (1024 * 1024),
    }


def read_transcript(data: bytes | str, *, cut: bool = False) -> ReadTranscript:
    """Parse a transcript once, to be stored; over the limits it is refused (TranscriptRefused).

    ``cut`` is for files stored before the limits existed: they keep their first cues instead.
    A file with no readable cue gives an empty result (the file itself is still served).
    """
    if not cut and len(data) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptRefused(transcript_too_large_message())
    cues = parse_transcript(data)
    complete = True
    if len(cues) > MAX_TRANSCRIPT_CUES:
        if not cut:
            raise TranscriptRefused(
                _(
                    "The transcript has %(count)s cues: at most %(max)s are accepted (a three-hour "
                    "episode has about 3,000). Merge short cues or split the transcript."
                )
                % {"count": f"{len(cues):,}", "max": f"{MAX_TRANSCRIPT_CUES:,}"}
            )
        cues, complete = cues[:MAX_TRANSCRIPT_CUES], False
    return ReadTranscript(paragraphs(cues), len(cues), complete)


def episode_transcript(episode) -> list[Paragraph]:
    """The paragraphs stored for the episode when its transcript file was stored (none: [])."""
    stored = TranscriptText.objects.filter(episode=episode).values_list("paragraphs", flat=True).first()
    return [Paragraph(float(start), text, speaker) for start, speaker, text in stored or []]


@dataclass(frozen=True)
class PageTranscript:
    html: SafeString
    complete: bool


def transcript_for_page(episode) -> PageTranscript | None:
    """The stored transcript as the episode page's paragraphs; None when there is no text to show.

    Built with plain string joins, not a template loop: 20,000 paragraphs render in milliseconds.
    """
    row = TranscriptText.objects.filter(episode=episode).values_list("paragraphs", "complete").first()
    if not row or not row[0]:
        return None
    stored, complete = row
    paragraph = (
        '<p><a class="time" href="'
        + html.escape(episode.get_audio_url()).replace("%", "%%")
        + '#t=%d" data-seek="%r">%s</a> %s%s</p>'
    )
    speakers: dict[str, str] = {"": ""}  # a few speakers, escaped once
    parts = []
    for start, speaker, text in stored:
        seconds = float(start)
        if speaker not in speakers:
            speakers[speaker] = f'<strong class="speaker">{html.escape(speaker)}:</strong> '
        parts.append(
            paragraph % (seconds, seconds, format_time(seconds), speakers[speaker], html.escape(text))
        )
    return PageTranscript(mark_safe("\n".join(parts)), complete)  # noqa: S308 (every part escaped)


def episode_chapters(episode) -> list[Chapter]:
    data = _read(episode.chapters)
    return parse_chapters(data) if data else []
