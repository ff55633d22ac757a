"""How much of an audio file one client must fetch to count as a download: header + 60 s of audio."""

from functools import lru_cache

from ..models import Episode
from ..object_storage import open_for_reading_parts

AUDIO_SECONDS = 60
PROBE_BYTES = 1024  # "bytes=0-1" and other probes: logged, never enough to count on their own


def _synchsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def header_bytes(handle) -> int:
    """Bytes before the audio: the ID3v2 tag of an MP3, or every top-level MP4 box except ``mdat``.

    Reads a few headers only (no audio). The ID3 tag holds the cover art, so it can be hundreds of
    kilobytes: counting "60 s" from byte 0 would count a client that fetched only the picture.
    """
    head = handle.read(10)
    if head[:3] == b"ID3" and len(head) == 10:
        return 10 + _synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)  # + footer when flagged
    if head[4:8] != b"ftyp":
        return 0
    total, offset = 0, 0
    while True:
        handle.seek(offset)
        box = handle.read(16)
        if len(box) < 8:
            return total
        size, kind = int.from_bytes(box[:4], "big"), box[4:8]
        if size == 1 and len(box) == 16:
            size = int.from_bytes(box[8:16], "big")
        if size < 8:  # 0 means "to the end of the file", which only mdat does
            return total
        if kind != b"mdat":
            total += size
        offset += size


@lru_cache(maxsize=2048)
def _threshold(name: str, size: int, bitrate: int, duration: float) -> int:
    """Bytes one client must fetch to count: header + 60 s at the file's bitrate, at most the file."""
    storage = Episode._meta.get_field("audio").storage
    try:
        with open_for_reading_parts(storage, name) as handle:  # a bucket: a few ranged requests
            header = header_bytes(handle)
    except OSError:
        header = 0
    if bitrate <= 0 and duration > 0:
        bitrate = int(size * 8 / duration)
    return min(size, header + bitrate * AUDIO_SECONDS // 8)


def download_threshold(episode: Episode, size: int) -> int:
    # Keyed on the stored name and size: re-tagging an episode rewrites the file and changes its size.
    return _threshold(episode.audio.name, size, episode.audio_bitrate or 0, episode.audio_duration or 0.0)
