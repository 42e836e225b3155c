"""A backend that paints procedural scenes instead of running a model.

The demo data goes through the whole generation pipeline — job, watermark, provenance,
content credentials, moderation, draft, post — with clips that look good on first sight,
which a toy model with random weights cannot make. The prompt chooses the scene and the
palette by keyword ("orbs", "waves", "tunnel"; "sunset", "ocean", "forest", "neon",
"desert", "aurora") and the seed varies it.
"""

from __future__ import annotations

from ..scenes import PALETTES, render_scene
from .base import (
    CancelCheck,
    ProgressCallback,
    RenderCancelled,
    RenderRequest,
    RenderResult,
    VideoBackend,
)

SCENES = ("orbs", "waves", "tunnel")
MODEL_ID = "reel/procedural-scenes"
MODEL_VERSION = "1"


def _keyword(prompt: str, choices, default: str) -> str:
    words = prompt.lower()
    return next((choice for choice in choices if choice in words), default)


class SceneBackend(VideoBackend):
    """Render `orbs`, `waves` or `tunnel` scenes; one 'step' per eighth of the clip."""

    steps_per_clip = 8

    def render(
        self,
        *,
        request: RenderRequest,
        on_step: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> RenderResult:
        scene = _keyword(request.prompt, SCENES, "orbs")
        palette = _keyword(request.prompt, PALETTES, "sunset")
        frames = []
        chunk = max(1, request.num_frames // self.steps_per_clip)
        clip = render_scene(scene, palette=palette, width=request.width, height=request.height,
                            frames=request.num_frames, seed=request.seed)
        for index, frame in enumerate(clip, start=1):
            frames.append(frame)
            if index % chunk == 0 or index == request.num_frames:
                done = min(self.steps_per_clip, -(-index // chunk))
                if on_step is not None:
                    on_step(done, self.steps_per_clip)
                if should_cancel is not None and should_cancel():
                    raise RenderCancelled(steps_done=done, steps_total=self.steps_per_clip)
        return RenderResult(
            frames=frames, fps=request.fps, model_id=MODEL_ID, model_version=MODEL_VERSION, seed=request.seed,
            parameters={"mode": str(request.mode), "prompt": request.prompt, "scene": scene, "palette": palette,
                        "width": request.width, "height": request.height, "num_frames": request.num_frames,
                        "fps": request.fps, "seed": request.seed},
        )
