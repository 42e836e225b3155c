"""Pictures, edits and clips for the media-check tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

from generation.encoding import encode_mp4
from generation.scenes import render_scene
from moderation.media import Frame


def png_bytes(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


def jpeg(image: np.ndarray, quality: int = 30) -> np.ndarray:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(out.getvalue())).convert("RGB"))


def watermarked(image: np.ndarray) -> np.ndarray:
    """Return `image` with a visible label near its lower right corner, as the platform stamps."""
    picture = Image.fromarray(image)
    draw = ImageDraw.Draw(picture)
    width, height = picture.size
    font = ImageFont.load_default(size=max(8, height // 16))
    draw.text(
        (int(width * 0.55), int(height * 0.9)), "MADE WITH AI", font=font,
        fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0),
    )
    return np.asarray(picture)


def brighter(image: np.ndarray, factor: float = 1.3) -> np.ndarray:
    return np.asarray(ImageEnhance.Brightness(Image.fromarray(image)).enhance(factor))


def resized(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR))


def still(image: np.ndarray) -> list[Frame]:
    return [Frame(index=0, time=None, image=image)]


def encode_clip(frames: list[np.ndarray], path: Path, *, fps: int = 12) -> Path:
    """Encode `frames` as a real H.264 MP4 at `path` and return the path."""
    encode_mp4(frames, path, fps=fps)
    return path


def scene_frames(count: int, *, width: int, height: int, seed: int = 3) -> list[np.ndarray]:
    return list(render_scene("orbs", palette="ocean", width=width, height=height, frames=count, seed=seed))


def film(count: int, *, width: int, height: int, pictures: list[np.ndarray]) -> list[np.ndarray]:
    """Return a slow pan across each of `pictures` in turn, like shots of a film."""
    frames = []
    per_shot = count // len(pictures)
    for picture in pictures:
        rows, cols = picture.shape[:2]
        window = min(rows, cols * height // width)
        for step in range(per_shot):
            left = (cols - window * width // height) * step // max(1, per_shot - 1)
            frames.append(resized(picture[:window, left : left + window * width // height], width, height))
    return frames
