"""Avatars: an upload checked and decoded by `config.images`, then cropped and re-encoded."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from config.images import image_clean

# An avatar is cropped to a square of AVATAR_SIZE: decoding more than this many times that
# on the long side buys nothing (a panorama wider than 4:1 ends up a little soft).
AVATAR_DECODE_FACTOR = 4


def avatar_image_clean(upload: Any) -> Image.Image:
    """Return the decoded image of an avatar upload, bounded in size, or raise ValidationError."""
    return image_clean(
        upload, max_bytes=settings.AVATAR_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS,
        max_side=AVATAR_DECODE_FACTOR * settings.AVATAR_SIZE,
    )


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
