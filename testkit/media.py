"""Real media for tests: audio made by ffmpeg, artwork made by Pillow, cached per session."""

import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

_CACHE = Path(tempfile.mkdtemp(prefix="podcastcme-test-audio-"))


@functools.cache
def make_audio(seconds: float = 5.0, kind: str = "mp3", bitrate: str = "64k", speech: str = "") -> Path:
    """An MP3 or M4A of ``seconds`` (a tone, or espeak-ng speech followed by a tone). Cached."""
    if shutil.which("ffmpeg") is None:
        raise RuntimeError("ffmpeg is missing: make test installs it (apt-get install ffmpeg)")
    out = _CACHE / f"{kind}-{seconds}-{bitrate}-{abs(hash(speech))}.{kind}"
    codec = ["-c:a", "libmp3lame"] if kind == "mp3" else ["-c:a", "aac", "-movflags", "+faststart"]
    source = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *source, "-ac", "1", "-ar", "44100", *codec,
         "-b:a", bitrate, str(out)],
        check=True,
    )  # fmt: skip
    return out


def audio_bytes(seconds: float = 5.0, kind: str = "mp3", **kwargs) -> bytes:
    return make_audio(seconds, kind, **kwargs).read_bytes()


def make_artwork(size: int = 1400, fmt: str = "JPEG", mode: str = "RGB", height: int | None = None) -> bytes:
    """A square (or not, with ``height``) image in the given format and colour mode."""
    image = Image.new(mode, (size, height or size), color="#0b5cad" if mode == "RGB" else 128)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()
