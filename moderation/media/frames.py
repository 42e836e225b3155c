"""Turn image and video files into the RGB frames that media checks look at."""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .types import Frame

DEFAULT_FPS = 1.0
DEFAULT_MAX_FRAMES = 48
DEFAULT_MAX_SIDE = 1280

Source = str | Path | bytes | BinaryIO


class DecodeLimitExceeded(ValueError):
    """A video holds more than its limits allow: longer, more frames, or slower to decode.

    Raised rather than returning a sample of the part decoded: the rest was never checked.
    """


def sample_frames(
    video_path: Source,
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_side: int | None = DEFAULT_MAX_SIDE,
    max_seconds: float | None = None,
    max_decoded: int | None = None,
    max_wall_seconds: float | None = None,
) -> list[Frame]:
    """Return frames of the video at `video_path` sampled at `fps`, `max_frames` at most.

    A video too long for `max_frames` at `fps` is sampled more sparsely over its whole
    length, never cut short: an unchecked tail would let anything through.

    The work is bounded by what is actually decoded, never by what the header claims: past
    `max_seconds` of frame timestamps, `max_decoded` frames or `max_wall_seconds` of decoding,
    DecodeLimitExceeded is raised.
    """
    sampler = _Sampler(fps=fps, max_frames=max_frames)
    started = time.monotonic()
    source = io.BytesIO(video_path) if isinstance(video_path, bytes) else video_path
    if isinstance(source, Path):
        source = str(source)
    with av.open(source, "r") as container:
        if not container.streams.video:
            raise ValueError("The file has no video stream.")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        for position, frame in enumerate(container.decode(stream)):
            at = float(frame.time) if frame.time is not None else position / rate
            if max_seconds is not None and at > max_seconds:
                raise DecodeLimitExceeded(f"The video lasts more than {max_seconds:g} seconds.")
            if max_decoded is not None and position >= max_decoded:
                raise DecodeLimitExceeded(f"The video holds more than {max_decoded} frames.")
            if max_wall_seconds is not None and time.monotonic() - started > max_wall_seconds:
                raise DecodeLimitExceeded(f"The video takes more than {max_wall_seconds:g} s to decode.")
            if sampler.due(at):
                sampler.keep(Frame(index=position, time=round(at, 3), image=_video_image(frame, max_side)), at)
    if not sampler.samples:
        raise ValueError("The video has no frames that decode.")
    return sampler.samples


def film_frames(
    images: Sequence[np.ndarray], *, film_fps: float, fps: float = DEFAULT_FPS, max_frames: int = DEFAULT_MAX_FRAMES,
) -> list[Frame]:
    """Return frames of a decoded film (RGB arrays, `film_fps` a second) sampled as
    `sample_frames` samples a file: at `fps`, `max_frames` at most, over its whole length."""
    if film_fps <= 0:
        raise ValueError("film_fps must be above 0.")
    sampler = _Sampler(fps=fps, max_frames=max_frames)
    for position, image in enumerate(images):
        at = position / film_fps
        if sampler.due(at):
            sampler.keep(Frame(index=position, time=round(at, 3), image=image), at)
    return sampler.samples


class _Sampler:
    """Keep one frame every 1/`fps` seconds; whenever more than `max_frames` are kept, keep
    every other one and sample half as often, so a long video is sampled more sparsely over
    its whole length, never cut short: an unchecked tail would let anything through."""

    def __init__(self, *, fps: float, max_frames: int) -> None:
        if not 0 < fps <= 30:
            raise ValueError("fps must be above 0 and at most 30.")
        if max_frames < 1:
            raise ValueError("max_frames must be at least 1.")
        self.max_frames = max_frames
        self.interval = 1.0 / fps
        self.next_time = 0.0
        self.samples: list[Frame] = []

    def due(self, at: float) -> bool:
        # A small tolerance keeps rounded timestamps from skipping a due sample.
        return at + 1e-3 >= self.next_time

    def keep(self, frame: Frame, at: float) -> None:
        self.samples.append(frame)
        self.next_time = at + self.interval
        if len(self.samples) > self.max_frames:
            self.samples = self.samples[::2]
            self.interval *= 2
            self.next_time = float(self.samples[-1].time or 0.0) + self.interval


def image_frames(
    image: Source | Image.Image | np.ndarray,
    *,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_side: int | None = DEFAULT_MAX_SIDE,
) -> list[Frame]:
    """Return the frames of a still or animated image (GIF, WebP, APNG), `max_frames` at most."""
    if isinstance(image, np.ndarray):
        return [Frame(index=0, time=None, image=_rgb_array(image, max_side))]
    if isinstance(image, Image.Image):
        return [Frame(index=0, time=None, image=_pil_rgb(image, max_side))]
    source = io.BytesIO(image) if isinstance(image, bytes) else image
    with Image.open(source) as opened:
        count = getattr(opened, "n_frames", 1)
        if count <= 1:
            return [Frame(index=0, time=None, image=_pil_rgb(opened, max_side))]
        # Spread the picks over the whole animation rather than stopping early.
        step = max(1, -(-count // max_frames))
        frames: list[Frame] = []
        elapsed = 0.0
        for position, still in enumerate(ImageSequence.Iterator(opened)):
            if position % step == 0:
                frames.append(Frame(index=position, time=round(elapsed / 1000, 3), image=_pil_rgb(still, max_side)))
            elapsed += float(still.info.get("duration", 0) or 0)
        return frames


def load_frames(
    path: Source,
    *,
    fps: float = DEFAULT_FPS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_side: int | None = DEFAULT_MAX_SIDE,
) -> list[Frame]:
    """Return the frames of the image or video at `path`, whichever it turns out to be."""
    data = path if isinstance(path, bytes) else None
    try:
        return image_frames(data if data is not None else path, max_frames=max_frames, max_side=max_side)
    except UnidentifiedImageError:
        pass
    if hasattr(path, "seek"):
        path.seek(0)
    return sample_frames(path, fps=fps, max_frames=max_frames, max_side=max_side)


def _video_image(frame: av.VideoFrame, max_side: int | None) -> np.ndarray:
    width, height = _fit(frame.width, frame.height, max_side)
    image = frame.to_ndarray(format="rgb24", width=width, height=height)
    # Phones store portrait clips sideways with a display rotation; look at what viewers see.
    turns = round((frame.rotation or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(image, turns)) if turns else image


def _pil_rgb(image: Image.Image, max_side: int | None) -> np.ndarray:
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info):
        # Transparent pixels would decode as whatever colour hides beneath them; show them on white.
        rgba = upright.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(background, rgba)
    rgb = upright.convert("RGB")
    width, height = _fit(rgb.width, rgb.height, max_side)
    if (width, height) != rgb.size:
        rgb = rgb.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8)


def _rgb_array(array: np.ndarray, max_side: int | None) -> np.ndarray:
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError("An image array must be H×W, H×W×3 or H×W×4.")
    if array.dtype != np.uint8:
        raise ValueError("An image array must hold uint8 values.")
    if array.shape[2] == 4:
        return _pil_rgb(Image.fromarray(array, "RGBA"), max_side)
    height, width = array.shape[:2]
    if _fit(width, height, max_side) != (width, height):
        return _pil_rgb(Image.fromarray(array), max_side)
    return np.ascontiguousarray(array)


def _fit(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))
