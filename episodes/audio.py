"""Reading audio metadata with mutagen and writing title, show and cover art into the file's tags."""

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

import mutagen
from django.utils.translation import gettext as _
from mutagen.flac import Picture
from mutagen.id3 import APIC, ID3, TALB, TCON, TIT2, TPE1, ID3NoHeaderError
from mutagen.mp3 import MP3, HeaderNotFoundError
from mutagen.mp4 import MP4, MP4Cover
from mutagen.ogg import OggFileType, OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

# What each kind is served as. Ogg: RFC 5334 section 10.3 (audio/ogg, with the optional "codecs"
# parameter) and RFC 7845 section 9 (an Ogg Opus file is audio/ogg, its recommended extension
# ".opus"). Not audio/opus: RFC 7587 registers that type for RTP payloads only, and Firefox would not
# play files served as it (podlove/podlove-publisher#156). The feed's enclosure type drops the
# parameter (models.audio_media_type).
MIME_BY_KIND = {
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg; codecs=vorbis",
    "opus": "audio/ogg; codecs=opus",
}
# An Ogg page is at most 27 + 255 header bytes and 255 * 255 body bytes (RFC 3533).
_MAX_OGG_PAGE = 27 + 255 + 255 * 255


class AudioError(ValueError):
    """The file is not audio we can publish; the message is for the person who uploaded it."""


@dataclass(frozen=True)
class AudioInfo:
    kind: str  # "mp3", "m4a", "ogg" (Vorbis) or "opus"
    mime: str
    duration: float  # seconds
    bitrate: int  # bits per second
    size: int  # bytes

    @property
    def extension(self) -> str:
        return self.kind


def read_audio(path: str | Path) -> AudioInfo:
    """Identify MP3, M4A/AAC, Ogg Vorbis or Ogg Opus audio from its content (not its name) and read
    its stream info.

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
            _(
                "This file is not MP3 audio, although its name may say so. "
                "Upload an MP3 or an M4A (AAC) file, or an Ogg Vorbis or Opus one."
            )
        ) from None
    except mutagen.MutagenError as error:
        if _starts_with(path, b"OggS"):  # mutagen reads the last page too: a cut file ends mid-page
            raise AudioError(
                _("The Ogg file seems truncated or damaged (%(error)s). Export it again.") % {"error": error}
            ) from None
        raise AudioError(_("This file could not be read as audio (%(error)s).") % {"error": error}) from None
    if audio is None:
        raise AudioError(
            _("Unsupported file type: upload an MP3 or an M4A (AAC) file, or an Ogg Vorbis or Opus one.")
        )
    if isinstance(audio, MP3):
        kind = "mp3"
    elif isinstance(audio, MP4):
        codec = getattr(audio.info, "codec", "") or ""
        if not codec.startswith("mp4a"):
            raise AudioError(
                _("This MP4 file holds no AAC audio (codec %(codec)s).") % {"codec": codec or "?"}
            )
        kind = "m4a"
    elif isinstance(audio, OggVorbis | OggOpus):
        _check_ogg(path, size)
        kind = "opus" if isinstance(audio, OggOpus) else "ogg"
    else:
        raise AudioError(
            _(
                "Unsupported audio format (%(type)s): upload an MP3 or an M4A (AAC) file, "
                "or an Ogg Vorbis or Opus one."
            )
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


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(magic)) == magic


def _check_ogg(path: Path, size: int) -> None:
    """Refuse an Ogg file that is not one whole audio stream: video or several streams beside the
    audio, or a file cut off before its last page (its length would be read from the last page
    that survived, so the cut would not show as a short duration)."""
    with path.open("rb") as handle:
        streams = 0
        try:
            while True:
                page = OggPage(handle)
                if not page.first:  # the beginning-of-stream pages of all streams come first
                    break
                streams += 1
        except (EOFError, mutagen.MutagenError):
            pass
        if streams > 1:
            raise AudioError(
                _("This Ogg file holds %(count)d streams (video, or several tracks): upload the audio alone.")
                % {"count": streams}
            )
        if not _ogg_ends_whole(handle, size):
            raise AudioError(
                _(
                    "The Ogg file seems truncated: it stops before the end of its audio stream. "
                    "Export it again."
                )
            )


def _ogg_ends_whole(handle, size: int) -> bool:
    """True when the file's last bytes are a whole Ogg page marked as the end of the stream."""
    start = max(0, size - _MAX_OGG_PAGE)
    handle.seek(start)
    tail = handle.read()
    index = tail.rfind(b"OggS")
    while index != -1:
        handle.seek(start + index)
        try:
            page = OggPage(handle)
        except (EOFError, mutagen.MutagenError):
            page = None
        if page is not None and page.complete and handle.tell() == size:
            return page.last
        index = tail.rfind(b"OggS", 0, index)  # "OggS" inside audio data: look further back
    return False


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
        mp4_tags = _tags_of(audio)
        _set_text_tags(mp4_tags, ("\xa9nam", "\xa9alb", "\xa9gen", "\xa9ART"), title, show_title, author)
        if artwork:
            fmt = MP4Cover.FORMAT_PNG if artwork_mime == "image/png" else MP4Cover.FORMAT_JPEG
            mp4_tags["covr"] = [MP4Cover(artwork, imageformat=fmt)]
        else:
            mp4_tags.pop("covr", None)
        audio.save()
    elif isinstance(audio, OggFileType):
        _write_vorbis_comments(audio, title, show_title, author, artwork, artwork_mime)
    else:  # read_audio() accepted it, so this cannot happen for stored episodes
        raise AudioError(_("Cannot tag this file type."))


def _tags_of(audio):
    """The file's tags, made when it has none (MP4 atoms, Vorbis comments)."""
    if audio.tags is None:
        audio.add_tags()
    if audio.tags is None:  # add_tags() always creates them
        raise AudioError(_("Cannot tag this file type."))
    return audio.tags


def _set_text_tags(tags, keys: tuple[str, str, str, str], title: str, show_title: str, author: str) -> None:
    """Title, album (the show), genre and artist (when known) under the format's own ``keys``: MP4
    atoms and Vorbis comments are both lists of strings under a key."""
    title_key, album_key, genre_key, artist_key = keys
    tags[title_key], tags[album_key], tags[genre_key] = [title], [show_title], ["Podcast"]
    if author:
        tags[artist_key] = [author]


def _write_vorbis_comments(
    audio: OggFileType, title: str, show_title: str, author: str, artwork: bytes | None, artwork_mime: str
) -> None:
    """Ogg Vorbis and Opus carry Vorbis comments; the cover is a base64 FLAC picture block in
    METADATA_BLOCK_PICTURE, the field Xiph's Vorbis comment recommendations name for it (the older
    COVERART field is removed)."""
    tags = _tags_of(audio)
    _set_text_tags(tags, ("TITLE", "ALBUM", "GENRE", "ARTIST"), title, show_title, author)
    for name in ("METADATA_BLOCK_PICTURE", "COVERART", "COVERARTMIME"):
        if name in tags:
            del tags[name]
    if artwork:
        picture = Picture()
        picture.type, picture.mime, picture.desc, picture.data = 3, artwork_mime, "Cover", artwork
        tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


def _ogg_cover_sizes(tags) -> list[int]:
    sizes = []
    for value in tags.get("METADATA_BLOCK_PICTURE", []):
        try:
            sizes.append(len(Picture(base64.b64decode(value)).data))
        except (binascii.Error, ValueError, mutagen.MutagenError):
            continue  # a damaged picture block: not a cover an app would show
    for value in tags.get("COVERART", []):
        try:
            sizes.append(len(base64.b64decode(value)))
        except (binascii.Error, ValueError):
            continue
    return sizes


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
    if isinstance(audio, OggFileType) and audio.tags is not None:
        return max(_ogg_cover_sizes(audio.tags), default=0)
    return 0
