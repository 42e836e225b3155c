"""A visible watermark that moves: the platform's mark and the creator's @handle on every frame.

The text is rendered once into a sprite (white letters, dark outline, partly transparent) and
alpha-blended onto each frame with numpy. The sprite hops to another corner every `period`
seconds and drifts towards the centre while it stays, so neither a fixed crop nor a fixed
in-painting mask removes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Share of the sprite's own opacity kept: the picture stays visible through the letters.
OPACITY = 0.7
# Size of the mark's letters, as a share of the frame's shorter side.
TEXT_SCALE = 0.055
MIN_FONT_PX = 8
# Margin from the frame's edges, as a share of the shorter side.
MARGIN_SCALE = 0.03
# Corners visited in turn, as shares of the free space (x, y). Each hop crosses the frame
# diagonally or sideways, so cropping one edge only hides the mark part of the time.
CORNERS = ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0))
# How far towards the centre the mark slides during one stay, as a share of the free space.
DRIFT = 0.2


@dataclass(frozen=True)
class Sprite:
    """The rendered watermark: colour and opacity, ready to blend."""

    rgb: np.ndarray  # h×w×3 float32
    alpha: np.ndarray  # h×w×1 float32, 0-1

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height)."""
        return self.rgb.shape[1], self.rgb.shape[0]


def watermark_frames(
    frames: list[np.ndarray],
    *,
    handle: str,
    mark: str = "reel",
    fps: float = 24.0,
    period: float = 2.0,
) -> list[np.ndarray]:
    """Return copies of RGB uint8 `frames` with the mark and `@handle` drawn on them.

    The watermark stays `period` seconds in a corner (at `fps` frames a second), then hops
    to the next one.
    """
    if fps <= 0 or period <= 0:
        raise ValueError("fps and period must be positive.")
    handle = handle.strip().lstrip("@")
    if not handle or not mark.strip():
        raise ValueError("A watermark needs a mark and a handle.")
    sprites: dict[tuple[int, int], Sprite] = {}
    marked = []
    for index, frame in enumerate(frames):
        _check_frame(frame)
        height, width = frame.shape[:2]
        sprite = sprites.get((height, width))
        if sprite is None:
            sprite = sprites[(height, width)] = render_sprite(mark.strip(), f"@{handle}", width=width, height=height)
        x, y = watermark_position(index / fps, period=period, frame_size=(width, height), sprite_size=sprite.size)
        marked.append(blend(frame, sprite, x, y))
    return marked


def render_sprite(mark: str, handle: str, *, width: int, height: int) -> Sprite:
    """Return the watermark for a `width`×`height` frame: `mark` above `handle`."""
    font_px = max(MIN_FONT_PX, round(min(width, height) * TEXT_SCALE))
    mark_font = ImageFont.load_default(size=font_px)
    handle_font = ImageFont.load_default(size=max(MIN_FONT_PX, round(font_px * 0.8)))
    stroke = max(1, round(font_px / 10))
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    mark_box = probe.textbbox((0, 0), mark, font=mark_font, stroke_width=stroke)
    handle_box = probe.textbbox((0, 0), handle, font=handle_font, stroke_width=stroke)
    gap = max(1, font_px // 5)
    mark_height = mark_box[3] - mark_box[1]
    sprite_width = max(mark_box[2] - mark_box[0], handle_box[2] - handle_box[0])
    sprite_height = mark_height + gap + handle_box[3] - handle_box[1]

    # The stubs type text boxes as floats; with these fonts they are whole pixels.
    image = Image.new("RGBA", (int(sprite_width), int(sprite_height)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink, outline = (255, 255, 255, 255), (16, 16, 16, 255)
    draw.text(
        (-mark_box[0], -mark_box[1]), mark, font=mark_font, fill=ink, stroke_width=stroke, stroke_fill=outline
    )
    draw.text(
        (-handle_box[0], mark_height + gap - handle_box[1]), handle, font=handle_font,
        fill=ink, stroke_width=stroke, stroke_fill=outline,
    )
    image = _fit(image, width=width, height=height)

    pixels = np.asarray(image, dtype=np.float32)
    return Sprite(rgb=pixels[..., :3], alpha=pixels[..., 3:] * (OPACITY / 255.0))


def watermark_position(
    seconds: float, *, period: float, frame_size: tuple[int, int], sprite_size: tuple[int, int]
) -> tuple[int, int]:
    """Return the top-left corner (x, y) of the watermark `seconds` into the clip."""
    width, height = frame_size
    sprite_width, sprite_height = sprite_size
    margin = _margin(width, height)
    free_x = max(0, width - sprite_width - 2 * margin)
    free_y = max(0, height - sprite_height - 2 * margin)
    stay, progress = divmod(seconds / period, 1.0)
    corner_x, corner_y = CORNERS[int(stay) % len(CORNERS)]
    share_x = corner_x + (0.5 - corner_x) * DRIFT * progress
    share_y = corner_y + (0.5 - corner_y) * DRIFT * progress
    return margin + round(free_x * share_x), margin + round(free_y * share_y)


def blend(frame: np.ndarray, sprite: Sprite, x: int, y: int) -> np.ndarray:
    """Return a copy of `frame` with `sprite` alpha-blended at (x, y), clipped to the frame."""
    out = frame.copy()
    sprite_width, sprite_height = sprite.size
    height, width = frame.shape[:2]
    right, bottom = min(width, x + sprite_width), min(height, y + sprite_height)
    if right <= x or bottom <= y:
        return out
    rgb = sprite.rgb[: bottom - y, : right - x]
    alpha = sprite.alpha[: bottom - y, : right - x]
    region = out[y:bottom, x:right].astype(np.float32)
    out[y:bottom, x:right] = np.rint(region + (rgb - region) * alpha).astype(np.uint8)
    return out


def _fit(image: Image.Image, *, width: int, height: int) -> Image.Image:
    """Shrink `image` to fit inside the frame's margins; a long handle on a tiny frame."""
    margin = _margin(width, height)
    room_width, room_height = max(1, width - 2 * margin), max(1, height - 2 * margin)
    scale = min(1.0, room_width / image.width, room_height / image.height)
    if scale >= 1.0:
        return image
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _margin(width: int, height: int) -> int:
    return max(1, round(min(width, height) * MARGIN_SCALE))


def _check_frame(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise ValueError(f"Frames must be H×W×3 uint8 RGB, not {frame.shape} {frame.dtype}.")
