"""Reading and tagging real audio (episodes/audio.py), and episode_create refusing files that are not."""

import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from mutagen.id3 import ID3
from mutagen.mp4 import MP4, MP4Cover

from episodes.audio import AudioError, read_audio, write_tags
from episodes.models import Episode
from episodes.services import episode_create
from testkit.media import make_artwork, make_audio

_CACHE = Path(tempfile.mkdtemp(prefix="podcastcme-test-formats-"))


def _ffmpeg(out: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(out)], check=True)
    return out


@functools.cache
def other_format(kind: str) -> bytes:
    """Two seconds of audio in a format we do not publish (WAV, Ogg Vorbis, FLAC)."""
    codec = {"wav": ["-c:a", "pcm_s16le"], "ogg": ["-c:a", "libvorbis"], "flac": ["-c:a", "flac"]}[kind]
    source = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-ac", "1"]
    return _ffmpeg(_CACHE / f"other.{kind}", *source, *codec).read_bytes()


@functools.cache
def hour_mp3() -> Path:
    """A 60-minute, 32 kbps mono MP3: one encoded minute looped by stream copy (0.4 s, not 9 s)."""
    minute = make_audio(60.0, "mp3", bitrate="32k")
    return _ffmpeg(_CACHE / "hour-32k.mp3", "-stream_loop", "59", "-i", str(minute), "-c", "copy")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def truncated_mp3(fraction: float) -> bytes:
    data = make_audio(5.0, "mp3").read_bytes()
    return data[: int(len(data) * fraction)]


# Reading good files


def test_mp3_is_identified_and_measured():
    path = make_audio(5.0, "mp3", bitrate="64k")
    info = read_audio(path)
    assert (info.kind, info.mime, info.extension) == ("mp3", "audio/mpeg", "mp3")
    assert info.duration == pytest.approx(5.0, abs=0.1)
    assert info.bitrate == 64000
    assert info.size == path.stat().st_size


def test_m4a_is_identified_and_measured():
    path = make_audio(5.0, "m4a", bitrate="64k")
    info = read_audio(path)
    assert (info.kind, info.mime, info.extension) == ("m4a", "audio/mp4", "m4a")
    assert info.duration == pytest.approx(5.0, abs=0.1)
    assert info.bitrate == pytest.approx(64000, rel=0.1)
    assert info.size == path.stat().st_size


def test_type_comes_from_content_not_name(tmp_path):
    # An M4A uploaded with a .mp3 name is still published as M4A (and its URL ends in .m4a).
    path = _write(tmp_path, "really-m4a.mp3", make_audio(5.0, "m4a").read_bytes())
    assert read_audio(path).kind == "m4a"


def test_an_hour_of_mp3_is_measured_from_its_header():
    # Timing is in bench/bench_audio.py; here: an hour is read correctly, without decoding it.
    path = hour_mp3()
    info = read_audio(path)
    assert info.duration == pytest.approx(3600, abs=5)
    assert info.bitrate == 32000
    assert info.size == path.stat().st_size


# Reading bad files: a clear message, never a crash


@pytest.mark.parametrize(
    "data",
    [os.urandom(20_000), make_artwork(200, "PNG")],
    ids=["random-bytes", "png-image"],
)
def test_non_audio_named_mp3_is_refused_clearly(tmp_path, data):
    path = _write(tmp_path, "episode.mp3", data)
    with pytest.raises(AudioError, match="not MP3 audio"):
        read_audio(path)


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(AudioError, match="empty"):
        read_audio(_write(tmp_path, "episode.mp3", b""))


def test_mp3_cut_to_a_third_is_refused_as_truncated(tmp_path):
    with pytest.raises(AudioError, match="truncated"):
        read_audio(_write(tmp_path, "episode.mp3", truncated_mp3(1 / 3)))


def test_mp3_cut_in_half_is_refused_as_truncated(tmp_path):
    with pytest.raises(AudioError, match="truncated"):
        read_audio(_write(tmp_path, "episode.mp3", truncated_mp3(0.5)))


@pytest.mark.parametrize("kind", ["wav", "flac"])  # Ogg Vorbis and Opus: tests/episodes/test_ogg_audio.py
def test_other_audio_formats_are_refused_by_name(tmp_path, kind):
    path = _write(tmp_path, f"episode.{kind}", other_format(kind))
    with pytest.raises(AudioError, match=r"Unsupported audio format .*upload an MP3 or an M4A"):
        read_audio(path)


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_other_audio_formats_named_mp3_are_refused(tmp_path, kind):
    # mutagen trusts the .mp3 name for FLAC (HeaderNotFoundError) but sniffs WAV:
    # either way the host reads that this is not the MP3 it claims to be.
    path = _write(tmp_path, "episode.mp3", other_format(kind))
    with pytest.raises(AudioError, match="MP3"):
        read_audio(path)


# Writing tags


def test_write_tags_sets_title_show_and_front_cover_in_mp3(tmp_path):
    path = tmp_path / "episode.mp3"
    shutil.copy(make_audio(5.0, "mp3"), path)
    cover = make_artwork(1400, "JPEG")
    write_tags(path, title="Cricoid pressure", show_title="Airway Rounds", author="SoT", artwork=cover)

    tags = ID3(path)
    assert str(tags["TIT2"]) == "Cricoid pressure"
    assert str(tags["TALB"]) == "Airway Rounds"
    assert str(tags["TPE1"]) == "SoT"
    (apic,) = tags.getall("APIC")
    assert apic.type == 3  # front cover: what players show
    assert apic.mime == "image/jpeg"
    assert apic.data == cover
    assert read_audio(path).duration == pytest.approx(5.0, abs=0.1)  # still the same audio


def test_write_tags_replaces_old_title_and_cover_in_mp3(tmp_path):
    path = tmp_path / "episode.mp3"
    shutil.copy(make_audio(5.0, "mp3"), path)
    write_tags(path, title="Old title", show_title="Airway Rounds", artwork=make_artwork(1400, "JPEG"))
    png = make_artwork(1400, "PNG")
    write_tags(path, title="New title", show_title="Airway Rounds", artwork=png, artwork_mime="image/png")

    tags = ID3(path)
    assert tags.getall("TIT2")[0].text == ["New title"]
    assert [(a.mime, a.data) for a in tags.getall("APIC")] == [("image/png", png)]


def test_write_tags_sets_title_show_and_cover_in_m4a(tmp_path):
    path = tmp_path / "episode.m4a"
    shutil.copy(make_audio(5.0, "m4a"), path)
    cover = make_artwork(1400, "PNG")
    write_tags(path, title="Ketamine ✓", show_title="Airway Rounds", artwork=cover, artwork_mime="image/png")

    tags = MP4(path).tags
    assert tags["\xa9nam"] == ["Ketamine ✓"]
    assert tags["\xa9alb"] == ["Airway Rounds"]
    (covr,) = tags["covr"]
    assert bytes(covr) == cover
    assert covr.imageformat == MP4Cover.FORMAT_PNG
    assert read_audio(path).kind == "m4a"


# episode_create end to end: a bad upload leaves no row and no file


def _media_files() -> set[Path]:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


BAD_UPLOADS = {
    "random-bytes": ("episode.mp3", os.urandom(20_000), "not MP3 audio"),
    "png-image": ("episode.mp3", make_artwork(200, "PNG"), "not MP3 audio"),
    "empty": ("episode.mp3", b"", "empty"),
    "truncated": ("episode.mp3", truncated_mp3(1 / 3), "truncated"),
    "wav": ("episode.wav", other_format("wav"), "MP3 or an M4A"),
    "flac-named-mp3": ("episode.mp3", other_format("flac"), "MP3 or an M4A"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_episode_create_refuses_bad_audio_and_writes_nothing(show, case):
    name, data, message = case
    before = _media_files()
    with pytest.raises(AudioError, match=message):
        episode_create(
            show=show,
            actor=None,
            title="Bad upload",
            audio=SimpleUploadedFile(name, data),
            artwork=SimpleUploadedFile("cover.jpg", make_artwork(1400, "JPEG")),
            status=Episode.Status.PUBLISHED,
        )
    assert not Episode.objects.exists()
    assert _media_files() == before


@pytest.mark.django_db
def test_episode_create_without_title_writes_nothing(show):
    before = _media_files()
    with pytest.raises(ValidationError) as error:
        episode_create(show=show, actor=None, title=" \x07 ", audio=SimpleUploadedFile("a.mp3", b"x"))
    assert "title" in error.value.message_dict
    assert not Episode.objects.exists()
    assert _media_files() == before


@pytest.mark.django_db
def test_episode_create_stores_good_audio_with_its_measurements(show):
    # The control for the tests above: a good upload does write a row and a file.
    source = make_audio(5.0, "m4a")
    before = _media_files()
    episode = episode_create(
        show=show, actor=None, title="Good upload", audio=SimpleUploadedFile("x.mp3", source.read_bytes())
    )
    stored = Path(episode.audio.path)
    assert _media_files() - before == {stored}
    assert stored.suffix == ".m4a"  # named for what it is, not for what the upload said
    assert (episode.audio_mime, episode.audio_size) == ("audio/mp4", stored.stat().st_size)
    assert episode.audio_duration == pytest.approx(5.0, abs=0.1)
    assert MP4(stored).tags["\xa9nam"] == ["Good upload"]
