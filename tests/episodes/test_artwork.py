"""Artwork validation: what Apple Podcasts accepts passes, everything else gets a clear message."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from episodes.artwork import apple_artwork_problem, artwork_for_import, artwork_format, validate_artwork
from testkit.media import make_artwork


def _file(data: bytes, name: str = "cover.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize(("size", "fmt"), [(1400, "JPEG"), (3000, "PNG"), (2048, "JPEG")])
def test_square_rgb_jpeg_or_png_between_1400_and_3000_px_is_accepted(size, fmt):
    upload = _file(make_artwork(size, fmt))
    validate_artwork(upload)
    assert artwork_format(upload) == fmt
    assert upload.tell() == 0  # left ready to be saved


def test_format_is_judged_by_content_not_by_name():
    assert artwork_format(_file(make_artwork(1400, "PNG"), name="cover.jpg")) == "PNG"


def _message(data: bytes, name: str = "cover.jpg") -> str:
    with pytest.raises(ValidationError) as caught:
        validate_artwork(_file(data, name))
    return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("mode", "fmt", "expected"),
    [
        ("CMYK", "JPEG", "this image is in CMYK mode"),
        ("L", "JPEG", "this image is in L mode"),
        ("L", "PNG", "this image is in L mode"),
        ("P", "PNG", "this image is in P mode"),
        ("RGBA", "PNG", "this image is in RGBA mode"),
    ],
)
def test_non_rgb_artwork_is_refused_naming_its_mode(mode, fmt, expected):
    assert expected in _message(make_artwork(1400, fmt, mode))


def test_too_small_and_too_large_artwork_are_refused_with_the_size():
    assert "between 1400 and 3000 pixels" in _message(make_artwork(1000))
    assert "this image is 1000" in _message(make_artwork(1000))
    assert "this image is 3001" in _message(make_artwork(3001, "PNG"))


def test_non_square_artwork_is_refused_with_its_dimensions():
    assert "must be square; this image is 1600 × 1400 pixels" in _message(make_artwork(1600, height=1400))


def test_other_image_formats_are_refused_by_name():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1400, 1400), "#0b5cad").save(buffer, format="GIF")
    assert "JPEG or PNG image; this file is GIF" in _message(buffer.getvalue(), "cover.png")


def test_a_non_image_or_truncated_image_is_refused():
    assert "not an image" in _message(b"%PDF-1.4 this is not a picture", "cover.png")
    truncated = make_artwork(1400, "PNG")[:200]
    assert "damaged or truncated" in _message(truncated, "cover.png")


def test_host_uploads_stay_strict_while_imports_are_converted():
    """A host can export again, so an upload Apple refuses is refused; an import is converted."""
    rgba = make_artwork(600, "PNG", "RGBA")
    assert "this image is in RGBA mode" in _message(rgba, "cover.png")
    original, changes = artwork_for_import(rgba)
    assert original.name == "artwork.png"
    assert changes == ["converted from RGBA PNG to an RGB JPEG", "scaled from 600 to 1400 pixels"]


def test_not_ready_for_apple_without_artwork_or_without_a_cover_of_1400_to_3000_px():
    # The stored artwork is given by its name here (a FieldFile in the app).
    assert "Apple requires show artwork" in apple_artwork_problem(None, {})
    name = "artwork/shows/a-1.png"
    small = {"source": name, "160": "r/0123456789abcdef-160.jpg"}
    assert "no cover between 1400 and 3000 pixels" in apple_artwork_problem(name, small)
    ready = {**small, "1400": "r/0123456789abcdef-1400.jpg"}
    assert apple_artwork_problem(name, ready) == ""
    # Renditions of another original (the field changed some other way) do not count against it.
    assert apple_artwork_problem("artwork/shows/b-2.png", small) == ""
