"""Encode frames into browser-playable MP4 files (H.264, yuv420p, faststart) with a poster."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


@dataclass(frozen=True)
class VideoInfo:
    """What a player and a post need to know about an encoded video."""

    width: int
    height: int
    fps: float
    frame_count: int
    duration: float
    codec: str
    pix_fmt: str


def encode_mp4(
    frames: Iterable[np.ndarray],
    path: str | Path,
    *,
    fps: int = 24,
    crf: int = 23,
    preset: str = "veryfast",
    threads: int = 0,
) -> VideoInfo:
    """Write RGB uint8 frames (H×W×3, even sides) to `path` as H.264 MP4 and return its info.

    The moov atom goes first (faststart) so a browser starts playing before the whole file
    has arrived; x264 options are explicit (CRF 23), never a library's 'quality' knob.
    `threads` 0 lets x264 choose (about one and a half per core).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    width = height = 0
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = None
        for frame in frames:
            if stream is None:
                height, width = frame.shape[:2]
                if width % 2 or height % 2:
                    raise ValueError("H.264 in yuv420p needs even frame sides.")
                stream = container.add_stream("libx264", rate=Fraction(fps))
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": preset, "profile": "high"}
                stream.codec_context.thread_count = threads
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
            count += 1
        if stream is None:
            raise ValueError("No frames to encode.")
        for packet in stream.encode():
            container.mux(packet)
    return VideoInfo(width, height, float(fps), count, count / fps, "h264", "yuv420p")


def spare_cores(*, reserved: int = 1) -> int:
    """Return the cores this process may use, less `reserved` of them kept for other work; at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - reserved)


def probe_mp4(path: str | Path) -> VideoInfo:
    """Return the info of the first video stream of the file at `path`, counting its frames."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        return VideoInfo(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            fps=fps,
            frame_count=frames,
            duration=frames / fps if fps else 0.0,
            codec=stream.codec_context.name,
            pix_fmt=stream.codec_context.pix_fmt or "",
        )


def poster_jpeg(frame: np.ndarray, *, quality: int = 85) -> bytes:
    """Return `frame` (RGB uint8) as JPEG bytes, for the poster image players show first."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)).save(out, format="JPEG", quality=quality)
    return out.getvalue()
