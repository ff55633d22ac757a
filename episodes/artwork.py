"""Show and episode artwork: checking uploads the way Apple Podcasts does, and the JPEG renditions
the feed, the pages and the audio tags use instead of the original (docs/artwork.md)."""

import hashlib
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MIN_SIDE = 1400
MAX_SIDE = 3000
# An artwork file larger than this is not a podcast cover (Apple asks for at most 512 KB).
MAX_ARTWORK_BYTES = 20 * 1024 * 1024
EXTENSION_BY_FORMAT = {"JPEG": "jpg", "PNG": "png"}

# --- Renditions -------------------------------------------------------------------------------------
# Bumped when the way renditions are made changes: their names (and URLs) change with it.
RENDITION_VERSION = 1
# Pages show covers at 96-300 CSS px: these widths cover them at 1x and 2x (srcset).
PAGE_WIDTHS = (160, 320, 600)
# The cover written into every audio file's tags: about 600 px and under 200 KB, because every app
# downloads it before playback (a 19 MB PNG turned a 1.4 MB episode into 20.8 MB).
TAG_WIDTH = 600
TAG_MAX_BYTES = 200 * 1024
# The feed's itunes:image: Apple's 1400-3000 px, kept under this size while it stays >= 1400 px.
FEED_MAX_BYTES = 1024 * 1024
JPEG_QUALITIES = (85, 75, 65, 55, 45)
# Imported artwork narrower than this on either side is not made into a cover: upscaling a favicon
# (or padding a thin strip) to 1400 px gives a picture no directory should show.
MIN_CONVERTIBLE_SIDE = 300
# Nearly square artwork is centre-cropped (loses at most a tenth of each side); wider or taller
# artwork is padded instead, so no title or face at its edges is cut off.
MAX_CROP_RATIO = 1.25
SOURCE_KEY = "source"  # in artwork_renditions: the original the renditions were made from
_RENDITION_NAME = re.compile(r"(?P<stem>[0-9a-f]{16}-(?P<width>\d{2,4}))\.jpg$")


def _open_checked(file) -> tuple[str, str, tuple[int, int]]:
    """Format, mode and size of an image file, refusing what is not one (with a clear message)."""
    size = getattr(file, "size", None)
    if size is None and isinstance(file, io.BytesIO):
        size = file.getbuffer().nbytes
    if size is not None and size > MAX_ARTWORK_BYTES:
        raise ValidationError(
            _("The artwork file is too large (%(mb)d MB); keep it under %(max)d MB.")
            % {"mb": size // (1024 * 1024), "max": MAX_ARTWORK_BYTES // (1024 * 1024)},
            code="artwork_too_large",
        )
    file.seek(0)
    try:
        # A decompression bomb is an attack, not artwork: turn Pillow's warning into a refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                image_format, mode, dimensions = image.format, image.mode, image.size
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read: upload a JPEG or PNG."), code="artwork_unreadable"
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This image is damaged or truncated: export it again as JPEG or PNG."), code="artwork_damaged"
        ) from None
    finally:
        file.seek(0)
    return image_format or "", mode, dimensions


def artwork_format(file) -> str:
    """Check ``file`` and return its real format ("JPEG" or "PNG"), judged by content, not by name."""
    image_format, mode, (width, height) = _open_checked(file)
    if image_format not in EXTENSION_BY_FORMAT:
        raise ValidationError(
            _("Artwork must be a JPEG or PNG image; this file is %(format)s.") % {"format": image_format},
            code="artwork_format",
        )
    if mode != "RGB":
        raise ValidationError(
            _("Artwork must use RGB colour; this image is in %(mode)s mode. Export it as RGB.")
            % {"mode": mode},
            code="artwork_mode",
        )
    if width != height:
        raise ValidationError(
            _("Artwork must be square; this image is %(width)d × %(height)d pixels.")
            % {"width": width, "height": height},
            code="artwork_not_square",
        )
    if not MIN_SIDE <= width <= MAX_SIDE:
        raise ValidationError(
            _("Artwork must be between %(min)d and %(max)d pixels on each side; this image is %(side)d.")
            % {"min": MIN_SIDE, "max": MAX_SIDE, "side": width},
            code="artwork_size",
        )
    return image_format


def validate_artwork(file) -> None:
    """Raise ValidationError with a clear message unless ``file`` is artwork Apple Podcasts accepts."""
    artwork_format(file)


# --- Converting what Apple refuses ------------------------------------------------------------------


def _square_side(width: int, height: int) -> int:
    """The side of the square the artwork becomes: cropped when nearly square, padded otherwise."""
    long, short = max(width, height), min(width, height)
    return short if long <= short * MAX_CROP_RATIO else long


def _decoded(data: bytes, draft_side: int | None = None) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
        if draft_side and image.format == "JPEG":
            # A large JPEG decodes straight to a smaller size (DCT scaling): much faster, same result.
            image.draft("RGB", (draft_side, draft_side))
        image.load()
    return image


def _rgb(image: Image.Image) -> Image.Image:
    """sRGB without transparency: transparent parts on white, CMYK and colour profiles converted."""
    image = ImageOps.exif_transpose(image) or image
    profile = image.info.get("icc_profile")
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    elif image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")  # 16-bit grey to 8-bit
    if profile and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the plain conversion below is still a fair picture
    return image.convert("RGB") if image.mode != "RGB" else image


def _squared(image: Image.Image) -> Image.Image:
    width, height = image.size
    if width == height:
        return image
    side = _square_side(width, height)
    if side == min(width, height):
        left, top = (width - side) // 2, (height - side) // 2
        return image.crop((left, top, left + side, top + side))
    # Padded with the image's own average colour: bars that blend in rather than white or black.
    colour = image.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    canvas = Image.new("RGB", (side, side), colour)
    canvas.paste(image, ((side - width) // 2, (side - height) // 2))
    return canvas


def _jpeg(image: Image.Image, side: int, quality: int) -> bytes:
    if image.size != (side, side):
        image = image.resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    # Baseline, no metadata, no ICC profile (sRGB is assumed by every app and browser).
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _within(image: Image.Image, sides: list[int], max_bytes: int) -> tuple[bytes, int]:
    """The first JPEG under ``max_bytes``, trying each quality at each side; else the smallest tried."""
    smallest: tuple[bytes, int] | None = None
    for side in sides:
        for quality in JPEG_QUALITIES:
            data = _jpeg(image, side, quality)
            if len(data) <= max_bytes:
                return data, side
            if smallest is None or len(data) < len(smallest[0]):
                smallest = (data, side)
    assert smallest is not None
    return smallest


def feed_side(width: int, height: int) -> int:
    """The side of the feed's cover: the artwork's own, brought within Apple's 1400-3000 px."""
    return min(max(_square_side(width, height), MIN_SIDE), MAX_SIDE)


@dataclass
class Rendered:
    """The JPEG renditions of one original: width -> bytes, and what was changed to make the feed's."""

    images: dict[int, bytes]
    feed_width: int
    changes: list[str] = field(default_factory=list)


def _changes(image_format: str, mode: str, width: int, height: int, side: int) -> list[str]:
    changes = []
    if mode != "RGB":
        changes.append(
            _("converted from %(mode)s %(format)s to an RGB JPEG") % {"mode": mode, "format": image_format}
        )
    elif image_format != "JPEG":
        changes.append(_("converted from %(format)s to JPEG") % {"format": image_format})
    if width != height:
        how = _("cropped") if _square_side(width, height) == min(width, height) else _("padded")
        changes.append(
            _("%(how)s from %(width)d × %(height)d to a square")
            % {"how": how, "width": width, "height": height}
        )
    square = _square_side(width, height)
    if square != side:
        changes.append(_("scaled from %(from)d to %(to)d pixels") % {"from": square, "to": side})
    return changes


def render(data: bytes) -> Rendered:
    """Make the feed cover (square RGB JPEG, 1400-3000 px), the page sizes and the tag cover.

    Raises ValidationError when the image cannot be made into one (unreadable, or too small).
    """
    image_format, mode, (width, height) = _open_checked(io.BytesIO(data))
    if min(width, height) < MIN_CONVERTIBLE_SIDE:
        raise ValidationError(
            _("This image is too small to make podcast artwork from (%(width)d × %(height)d pixels).")
            % {"width": width, "height": height},
            code="artwork_too_small",
        )
    side = feed_side(width, height)
    try:
        master = _squared(_rgb(_decoded(data, draft_side=side)))
    except (OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            _("This image could not be converted: export it again as an RGB JPEG or PNG."),
            code="artwork_unconvertible",
        ) from None
    if master.size[0] > side:  # one resize from a huge original; every size below starts from this
        master = master.resize((side, side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Stays within Apple's range: a busy 3000 px cover gets smaller in steps, never below 1400 px.
    feed_sides = sorted({side, *(s for s in (2400, 2000, 1700, MIN_SIDE) if s < side)}, reverse=True)
    feed, feed_width = _within(master, feed_sides, FEED_MAX_BYTES)
    small = master if side <= 1400 else master.resize((1400, 1400), Image.Resampling.LANCZOS)
    images = {feed_width: feed}
    for width_ in PAGE_WIDTHS:
        if width_ == TAG_WIDTH:
            # About 600 px and under 200 KB whatever the picture: a busy one loses quality, then size.
            images[width_], _side = _within(small, [600, 540, 480], TAG_MAX_BYTES)
        else:
            images[width_] = _jpeg(small, width_, JPEG_QUALITIES[0])
    return Rendered(images, feed_width, _changes(image_format, mode, width, height, feed_width))


def content_digest(data: bytes) -> str:
    """16 hex digits naming an original's renditions: new content (or a new way of making them), new names."""
    return hashlib.sha256(data + f"/renditions-v{RENDITION_VERSION}".encode()).hexdigest()[:16]


def store_renditions(
    artwork: Any, folder: str, *, before_write: Callable[[Any, str], None] = lambda storage, name: None
) -> dict[str, str]:
    """Make and store the renditions of the stored original ``artwork`` (a FieldFile) in ``folder``.

    Returns ``{width: storage name, "source": original name}`` for ``artwork_renditions``. The
    names hold the content digest, so a rendition's URL never changes meaning (cacheable forever),
    and a name already stored holds the same bytes: it is kept, not written again. ``before_write``
    hears every name before a byte is written (to delete it if a later step fails). Reads and
    writes the storage (a bucket: network calls): call it before any transaction opens.
    """
    storage = artwork.storage
    with artwork.open("rb") as handle:
        data = handle.read()
    rendered = render(data)
    digest = content_digest(data)
    renditions = {SOURCE_KEY: artwork.name}
    for width, image in rendered.images.items():
        name = f"{folder}/{digest}-{width}.jpg"
        if not storage.exists(name):
            before_write(storage, name)
            saved = storage.save(name, ContentFile(image))
            if saved != name:
                before_write(storage, saved)
            name = saved
        renditions[str(width)] = name
    return renditions


def stored_renditions(renditions: dict[str, str]) -> list[str]:
    """The storage names in an ``artwork_renditions`` value (not the original it was made from)."""
    return [name for key, name in renditions.items() if key != SOURCE_KEY]


def current_renditions(artwork: Any, renditions: dict[str, str]) -> dict[int, str]:
    """Width -> storage name, when ``renditions`` were made from the artwork stored now (a FieldFile
    or its name); else empty (none made yet, or the artwork was changed some other way)."""
    name = artwork if isinstance(artwork, str) else getattr(artwork, "name", "")
    if not name or not renditions or renditions.get(SOURCE_KEY) != name:
        return {}
    return {int(key): name for key, name in renditions.items() if key.isdigit()}


def feed_width_of(widths: Any) -> int | None:
    """The feed cover's width among renditions' widths (the one within Apple's range)."""
    fitting = [width for width in widths if MIN_SIDE <= width <= MAX_SIDE]
    return max(fitting) if fitting else None


def rendition_stem(name: str) -> str:
    """``<digest>-<width>`` of a rendition's storage name: what its URL carries."""
    match = _RENDITION_NAME.search(name)
    if match is None:
        raise ValueError(f"not a rendition name: {name}")
    return match["stem"]


def tag_cover(artwork: Any, renditions: dict[str, str]) -> bytes:
    """The cover to write into audio tags for ``artwork`` (a FieldFile): its tag-size rendition, or
    one made now from the original (renditions not made yet). A download from a bucket."""
    name = current_renditions(artwork, renditions).get(TAG_WIDTH)
    if name:
        with artwork.storage.open(name, "rb") as handle:
            return handle.read()
    with artwork.open("rb") as handle:
        data = handle.read()
    return render(data).images[TAG_WIDTH]


# --- Artwork from another host ----------------------------------------------------------------------


def artwork_for_import(data: bytes) -> tuple[ContentFile, list[str]]:
    """Imported artwork to store as the original, and what its feed cover changes (for the summary).

    Apple refuses 600 px, 3500 px, RGBA PNG or CMYK JPEG artwork, but the feed never publishes the
    original: its cover is a conforming JPEG made from it (``render``). So any readable image from
    which one can be made is kept as it came (JPEG and PNG; other formats as PNG); otherwise
    ValidationError with the reason.
    """
    rendered = render(data)  # refuses what no cover can be made from
    image_format, _mode, _size = _open_checked(io.BytesIO(data))
    if image_format not in EXTENSION_BY_FORMAT:
        image = _decoded(data)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data, image_format = buffer.getvalue(), "PNG"
    return ContentFile(data, name=f"artwork.{EXTENSION_BY_FORMAT[image_format]}"), rendered.changes


# --- Ready for Apple ----------------------------------------------------------------------------------


def apple_artwork_problem(artwork: Any, renditions: dict[str, str]) -> str:
    """Why a show's artwork keeps it out of Apple Podcasts ("" when it does not). Apple requires one."""
    if not artwork:
        return _(
            "Not ready for Apple Podcasts: Apple requires show artwork (a square JPEG or PNG, "
            "1400 to 3000 pixels a side). Add artwork to the show."
        )
    widths = current_renditions(artwork, renditions)
    if widths and feed_width_of(widths) is None:
        return _(
            "Not ready for Apple Podcasts: no cover between 1400 and 3000 pixels could be made from "
            "the show's artwork. Upload it again as a square JPEG or PNG."
        )
    return ""
