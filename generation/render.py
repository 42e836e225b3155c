"""Rendering a job: the plan of denoising passes, and the frames they make.

A film is one shot (most modes) or one per storyboard card; a shot longer than
GENERATION_SEGMENT_FRAMES is rendered in several passes, each continuing the film from the
last frames of the one before (the backend's `extend_context_frames`). An extension's film
starts with its source video; a remix follows its source pass by pass.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import av
import numpy as np
from django.conf import settings
from django.core.files.storage import Storage
from django.utils.translation import gettext as _
from PIL import Image

from cameo.selectors import job_cameos

from .backends import (
    RenderError,
    RenderMode,
    RenderRequest,
    VideoBackend,
    backend_get,
    frames_for_duration,
)
from .models import GenerationJob
from .progress import RENDER_SHARE, Phase, Progress
from .styles import prompt_styled

Mode = GenerationJob.Mode


@dataclasses.dataclass
class Segment:
    """One denoising pass: its mode, prompt and frame count."""

    mode: RenderMode
    prompt: str
    frames: int


@dataclasses.dataclass
class Shot:
    """A stretch of the film with one prompt: how many new frames, and how it starts."""

    prompt: str
    frames: int
    first: RenderMode


def _round_up(count: int) -> int:
    """Return the smallest valid frame count (4k+1) not below `count`."""
    return count + (1 - count) % 4


def segment_plan(*, first: RenderMode, prompt: str, frames: int, limit: int, context: int) -> list[Segment]:
    """Split `frames` new frames into passes of at most `limit` frames.

    A pass that continues a film (extend) spends its first `context` frames on the end of what
    came before; remix passes follow the source instead and need none.
    """
    follow = RenderMode.REMIX if first is RenderMode.REMIX else RenderMode.EXTEND
    plan: list[Segment] = []
    made, mode = 0, first
    while made < frames:
        kept = context if mode is RenderMode.EXTEND else 0
        count = min(limit, _round_up(frames - made + kept))
        plan.append(Segment(mode, prompt, count))
        made += count - kept
        mode = follow
    return plan


def shots_of(job: GenerationJob) -> list[Shot]:
    """Return the shots of a job: one for most modes, one per card for a storyboard."""
    if job.mode == Mode.STORYBOARD:
        return [
            Shot(prompt_styled(card["prompt"], job.style),
                 frames_for_duration(seconds=float(card["duration"]), fps=job.fps),
                 RenderMode.TEXT if index == 0 else RenderMode.EXTEND)
            for index, card in enumerate(job.shots)
        ]
    first = {
        Mode.TEXT: RenderMode.TEXT, Mode.IMAGE: RenderMode.IMAGE,
        Mode.REMIX: RenderMode.REMIX, Mode.EXTEND: RenderMode.EXTEND,
    }[Mode(job.mode)]
    return [Shot(prompt_styled(job.prompt, job.style), frames_for_duration(seconds=job.duration, fps=job.fps), first)]


def _read_video(name: str, storage: Storage) -> list[np.ndarray]:
    """Return the RGB frames of a stored video."""
    with storage.open(name, "rb") as handle, av.open(handle, "r") as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(container.streams.video[0])]


def _read_image(job: GenerationJob) -> np.ndarray:
    with job.source_image.open("rb") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def _cameo_reference(job: GenerationJob) -> tuple[str, np.ndarray] | None:
    """Return the handle and reference photo of the first cameo the job may still use."""
    if not (job.parameters or {}).get("cameos"):
        return None
    for cameo in job_cameos(job_id=job.pk):
        if cameo.photo:
            with cameo.photo.open("rb") as handle:
                return cameo.handle, np.asarray(Image.open(handle).convert("RGB"))
    return None


def _source_video(job: GenerationJob) -> list[np.ndarray]:
    name = (job.parameters or {}).get("source_video", "")
    try:
        frames = _read_video(name, job.video.storage)
    except (FileNotFoundError, OSError, av.error.FFmpegError) as exc:
        raise RenderError(_("The source video is no longer available.")) from exc
    if not frames:
        raise RenderError(_("The source video has no frames."))
    return frames


def job_render(
    job: GenerationJob, progress: Progress, *, backend: VideoBackend | None = None
) -> tuple[list[np.ndarray], list[dict[str, Any]]]:
    """Render every pass of `job` and return the film's frames and each pass's parameters."""
    backend = backend or backend_get()
    limit = int(settings.GENERATION_SEGMENT_FRAMES)
    context = backend.extend_context_frames
    shots = shots_of(job)
    passes = [
        segment
        for shot in shots
        for segment in segment_plan(first=shot.first, prompt=shot.prompt, frames=shot.frames, limit=limit,
                                    context=context)
    ]
    source_video = _source_video(job) if job.mode in (Mode.REMIX, Mode.EXTEND) else []
    source_image = _read_image(job) if job.mode == Mode.IMAGE else None
    # A film with a cameo starts from the person's reference photo (image to video).
    cameo = _cameo_reference(job) if passes and passes[0].mode is RenderMode.TEXT else None
    if cameo is not None:
        source_image = cameo[1]
        passes[0] = Segment(RenderMode.IMAGE, passes[0].prompt, passes[0].frames)
    film: list[np.ndarray] = list(source_video) if job.mode == Mode.EXTEND else []
    wanted = len(film) + sum(shot.frames for shot in shots)

    total_steps = job.steps * len(passes)
    records: list[dict[str, Any]] = []
    remix_offset = 0
    for index, segment in enumerate(passes):
        arguments: dict[str, Any] = {}
        kept = 0
        if segment.mode is RenderMode.IMAGE:
            arguments["source_image"] = source_image
        elif segment.mode is RenderMode.REMIX:
            arguments["source_video"] = source_video[remix_offset:] or source_video
            remix_offset += segment.frames
        elif segment.mode is RenderMode.EXTEND:
            arguments["source_video"] = film[-context:]
            kept = min(context, len(film))
        request = RenderRequest(
            mode=segment.mode, prompt=segment.prompt, negative_prompt=job.negative_prompt,
            width=job.width, height=job.height, num_frames=segment.frames, fps=job.fps,
            steps=job.steps, seed=job.seed + index, **arguments,
        )
        before = index * job.steps

        def on_step(done: int, total: int, _before: int = before) -> None:
            fraction = (_before + done) / max(1, total_steps)
            phase = Phase.DECODING if done >= total else Phase.RENDERING
            progress.update(phase=phase, progress=RENDER_SHARE * fraction, step=_before + done,
                            step_total=total_steps, force=done >= total)

        result = backend.render(request=request, on_step=on_step)
        record = {"model_id": result.model_id, "model_version": result.model_version, **result.parameters}
        if index == 0 and cameo is not None:
            record["reference"] = {"cameo": cameo[0]}
        records.append(record)
        film.extend(result.frames[kept:])
    return film[:wanted], records
