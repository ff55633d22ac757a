"""Reading audio metadata with mutagen and writing title, show and cover art into the file's tags."""

from dataclasses import dataclass
from pathlib import Path

import mutagen
from django.utils.translation import gettext as _
from mutagen.id3 import APIC, ID3, TALB, TCON, TIT2, TPE1, ID3NoHeaderError
from mutagen.mp3 import MP3, HeaderNotFoundError
from mutagen.mp4 import MP4, MP4Cover

MIME_BY_KIND = {"mp3": "audio/mpeg", "m4a": "audio/mp4"}


class AudioError(ValueError):
    """The file is not audio we can publish; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class AudioInfo:
    kind: str  # "mp3" or "m4a"
    mime: str
    duration: float  # seconds
    bitrate: int  # bits per second
    size: int  # bytes

    @property
    def extension(self) -> str:
        return self.kind


def read_audio(path: str | Path) -> AudioInfo:
    """Identify MP3 or M4A/AAC audio from its content (not its name) and read its stream info.

    mutagen only reads the headers, so this takes milliseconds even for an hour of audio.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise AudioError(_("The file is empty."))
    try:
        audio = mutagen.File(path)
    except HeaderNotFoundError:
        raise AudioError(
            _("This file is not MP3 audio, although its name may say so. Upload an MP3 or an M4A (AAC) file.")
        ) from None
    except mutagen.MutagenError as error:
        raise AudioError(_("This file could not be read as audio (%(error)s).") % {"error": error}) from None
    if audio is None:
        raise AudioError(_("Unsupported file type: upload an MP3 or an M4A (AAC) file."))
    if isinstance(audio, MP3):
        kind = "mp3"
    elif isinstance(audio, MP4):
        codec = getattr(audio.info, "codec", "") or ""
        if not codec.startswith("mp4a"):
            raise AudioError(
                _("This MP4 file holds no AAC audio (codec %(codec)s).") % {"codec": codec or "?"}
            )
        kind = "m4a"
    else:
        raise AudioError(
            _("Unsupported audio format (%(type)s): upload an MP3 or an M4A (AAC) file.")
            % {"type": type(audio).__name__}
        )
    duration = float(getattr(audio.info, "length", 0) or 0)
    if duration <= 0:
        raise AudioError(_("The audio has no length: the file may be truncated."))
    bitrate = int(getattr(audio.info, "bitrate", 0) or 0)
    if bitrate <= 0:
        bitrate = int(size * 8 / duration)
    # A cut-off upload keeps its header (ffmpeg's Xing header counts every frame), so it promises
    # more bytes than it holds; a whole file holds at least that many (tags only add).
    expected = duration * bitrate / 8
    if kind == "mp3" and size < expected * 0.95:
        raise AudioError(_("The MP3 file seems truncated: it holds less audio than its header says."))
    return AudioInfo(kind=kind, mime=MIME_BY_KIND[kind], duration=duration, bitrate=bitrate, size=size)


def write_tags(
    path: str | Path,
    *,
    title: str,
    show_title: str,
    author: str = "",
    artwork: bytes | None = None,
    artwork_mime: str = "image/jpeg",
) -> None:
    """Write title, show (album), artist and front cover so the file looks right in any player.

    Without ``artwork`` any cover the file carried is removed.
    """
    path = Path(path)
    audio = mutagen.File(path)
    if isinstance(audio, MP3):
        try:
            tags = ID3(path)
        except ID3NoHeaderError:
            tags = ID3()
        tags.setall("TIT2", [TIT2(encoding=3, text=title)])
        tags.setall("TALB", [TALB(encoding=3, text=show_title)])
        tags.setall("TCON", [TCON(encoding=3, text="Podcast")])
        if author:
            tags.setall("TPE1", [TPE1(encoding=3, text=author)])
        tags.delall("APIC")  # no artwork: no cover left from before
        if artwork:
            tags.add(APIC(encoding=3, mime=artwork_mime, type=3, desc="Cover", data=artwork))
        tags.save(path, v2_version=3)
    elif isinstance(audio, MP4):
        if audio.tags is None:
            audio.add_tags()
        mp4_tags = audio.tags
        if mp4_tags is None:  # add_tags() always creates them
            raise AudioError(_("Cannot tag this file type."))
        mp4_tags["\xa9nam"] = [title]
        mp4_tags["\xa9alb"] = [show_title]
        mp4_tags["\xa9gen"] = ["Podcast"]
        if author:
            mp4_tags["\xa9ART"] = [author]
        if artwork:
            fmt = MP4Cover.FORMAT_PNG if artwork_mime == "image/png" else MP4Cover.FORMAT_JPEG
            mp4_tags["covr"] = [MP4Cover(artwork, imageformat=fmt)]
        else:
            mp4_tags.pop("covr", None)
        audio.save()
    else:  # read_audio() accepted it, so this cannot happen for stored episodes
        raise AudioError(_("Cannot tag this file type."))


def embedded_cover_bytes(path: str | Path) -> int:
    """The size of the largest cover picture in the file's tags (0: none, or tags it cannot read)."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError:
        return 0
    if isinstance(audio, MP3) and audio.tags is not None:
        return max((len(frame.data) for frame in audio.tags.getall("APIC")), default=0)
    if isinstance(audio, MP4) and audio.tags is not None:
        return max((len(cover) for cover in audio.tags.get("covr", [])), default=0)
    return 0
