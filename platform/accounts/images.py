"""Safe handling of uploaded images: type, size and pixel count checked, then re-encoded."""

from __future__ import annotations

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def image_clean(upload, *, max_bytes: int | None = None, max_pixels: int | None = None) -> Image.Image:
    """Return the decoded image of `upload`, or raise ValidationError saying what is wrong.

    The size is checked before decoding, the format and pixel count from the header
    before the pixels are loaded, so a decompression bomb is refused without being expanded.
    """
    max_bytes = max_bytes or settings.AVATAR_MAX_BYTES
    max_pixels = max_pixels or settings.AVATAR_MAX_PIXELS
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes:
        raise ValidationError(
            _("The image is too large (at most %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    data = upload.read()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("Upload a JPEG, PNG, WebP or GIF image."), code="bad_type"
                )
            width, height = probe.size
            if width * height > max_pixels:
                raise ValidationError(
                    _("The image has too many pixels (%(w)d×%(h)d).") % {"w": width, "h": height},
                    code="too_many_pixels",
                )
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_("Upload a valid image file."), code="bad_image") from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("The image is damaged or incomplete."), code="bad_image") from None
    return image


def avatar_render(image: Image.Image, *, size: int | None = None) -> ContentFile:
    """Return `image` cropped to a square, resized and re-encoded as WebP (metadata dropped)."""
    size = size or settings.AVATAR_SIZE
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=85, method=4)
    return ContentFile(out.getvalue())
