"""Checking show and episode artwork the way Apple Podcasts does: JPEG or PNG, RGB, square, 1400-3000 px."""

import warnings

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

MIN_SIDE = 1400
MAX_SIDE = 3000
# An artwork file larger than this is not a podcast cover (Apple asks for at most 512 KB).
MAX_ARTWORK_BYTES = 20 * 1024 * 1024
EXTENSION_BY_FORMAT = {"JPEG": "jpg", "PNG": "png"}


def artwork_format(file) -> str:
    """Check ``file`` and return its real format ("JPEG" or "PNG"), judged by content, not by name."""
    size = getattr(file, "size", None)
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
                image_format, mode, (width, height) = image.format, image.mode, image.size
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
