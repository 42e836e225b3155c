"""Uploaded images: type, size and pixel count checked, then decoded no larger than needed.

Every upload of a picture (a cameo photo, the source image of a generation) goes through
`image_clean`. A photo within the pixel cap can still be large: a 36 MP JPEG decodes to
144 MB in Pillow (four bytes a pixel), and each copy a caller makes (orientation, mode, an
array for the face detector) costs as much again. A caller that keeps at most `max_side`
pixels on the long side says so, and a JPEG is then decoded at 1/2, 1/4 or 1/8 of its size
by the decoder itself (`Image.draft`, libjpeg's scaled IDCT) before being resized exactly:
the full-size image never exists in memory.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Modes resized as they are; others (palettes, 16-bit, CMYK) become RGB(A) first.
RESAMPLED_MODES = {"RGB", "RGBA", "L", "LA"}


def image_clean(upload: Any, *, max_bytes: int, max_pixels: int, max_side: int | None = None) -> Image.Image:
    """Return the decoded image of `upload`, or raise ValidationError saying what is wrong.

    The size is checked before decoding, the format and pixel count from the header before
    the pixels are loaded, so a decompression bomb is refused without being expanded. With
    `max_side`, the image returned is at most that many pixels on its long side (aspect kept,
    as `Image.thumbnail` makes it), decoded at reduced size when the format allows (JPEG).
    """
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes:
        raise ValidationError(
            _("The image is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image."), code="bad_type")
            width, height = probe.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("The image has too many pixels (%(w)d×%(h)d).") % {"w": width, "h": height},
                    code="too_many_pixels",
                )
            probe.verify()
            opened = Image.open(io.BytesIO(data))
            if max_side and max(opened.size) > max_side:
                image = _decode_bounded(opened, max_side)
            else:
                opened.load()
                image = opened
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("Upload a valid image file."), code="bad_image") from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("The image is damaged or incomplete."), code="bad_image") from None
    return image


def _decode_bounded(opened: ImageFile.ImageFile, max_side: int) -> Image.Image:
    """Load `opened` (not yet loaded) at most `max_side` pixels on its long side."""
    scale = max_side / max(opened.size)
    wanted = (max(1, round(opened.width * scale)), max(1, round(opened.height * scale)))
    # JPEG only (other formats ignore it): the decoder picks the largest reduction, 1/2 to 1/8,
    # that keeps the image at least `wanted`; the resize below then makes it exact.
    opened.draft(None, wanted)
    opened.load()
    image: Image.Image = opened
    if image.mode not in RESAMPLED_MODES:  # a palette would be resized by nearest neighbour
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
    return image
