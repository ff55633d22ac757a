"""How much of an audio file one client must fetch to count as a download: header + 60 s of audio."""

from functools import lru_cache

from ..models import Episode
from ..object_storage import open_for_reading_parts

AUDIO_SECONDS = 60
PROBE_BYTES = 1024  # "bytes=0-1" and other probes: logged, never enough to count on their own


def _synchsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


# Header packets before the first audio packet: Vorbis has identification, comment and setup
# (Vorbis I specification, section 4.2), Opus identification and comment (RFC 7845 section 3).
_OGG_HEADER_PACKETS = {b"\x01vorbis": 3, b"OpusHead": 2}
_OGG_READ = 64 * 1024  # from a bucket: one ranged request per read, so a few large ones
_OGG_MAX_HEADER = 16 * 1024 * 1024  # past this the file is not what the upload checks let in


def header_bytes(handle) -> int:
    """Bytes before the audio: the ID3v2 tag of an MP3, every top-level MP4 box except ``mdat``, or
    the Ogg pages that carry the header packets (the comment packet holds the cover).

    Reads a few headers only (no audio). The ID3 tag holds the cover art, so it can be hundreds of
    kilobytes: counting "60 s" from byte 0 would count a client that fetched only the picture.
    """
    head = handle.read(10)
    if head[:3] == b"ID3" and len(head) == 10:
        return 10 + _synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)  # + footer when flagged
    if head[:4] == b"OggS":
        handle.seek(0)
        return _ogg_header_bytes(handle)
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


def _ogg_header_bytes(handle) -> int:
    """The size of the Ogg pages up to the one where the last header packet ends: Vorbis and Opus
    both start their audio on a fresh page (Vorbis I section 4.2.2, RFC 7845 section 3). 0 when
    the file is not one of them or its headers do not end within ``_OGG_MAX_HEADER``."""
    buffer = bytearray()

    def have(size: int) -> bool:
        while len(buffer) < size:
            more = handle.read(_OGG_READ)
            if not more:
                return False
            buffer.extend(more)
        return True

    offset = packets = needed = 0
    while offset < _OGG_MAX_HEADER:
        if not have(offset + 27) or buffer[offset : offset + 4] != b"OggS":
            return 0
        segments = buffer[offset + 26]
        body = offset + 27 + segments
        if not have(body + 8):
            return 0
        lacing = buffer[offset + 27 : body]
        if not needed:  # the first packet, alone on the first page, names the codec
            needed = next(
                (n for magic, n in _OGG_HEADER_PACKETS.items() if buffer.startswith(magic, body)), 0
            )
            if not needed:
                return 0
        packets += sum(1 for value in lacing if value < 255)  # a lacing value under 255 ends a packet
        offset = body + sum(lacing)
        if packets >= needed:
            return offset
    return 0


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
