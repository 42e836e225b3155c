"""Small procedural scenes rendered in code: demo content that needs no model and no download."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

PALETTES = {
    "sunset": ((255, 94, 58), (255, 190, 92), (46, 20, 82)),
    "ocean": ((10, 60, 120), (40, 170, 200), (230, 250, 255)),
    "forest": ((20, 60, 30), (90, 160, 70), (220, 240, 180)),
    "neon": ((20, 10, 40), (255, 40, 160), (40, 240, 255)),
    "desert": ((200, 120, 60), (250, 210, 140), (90, 50, 30)),
    "aurora": ((5, 15, 40), (60, 230, 160), (150, 90, 230)),
}


def render_scene(
    kind: str, *, palette: str = "sunset", width: int = 288, height: int = 512, frames: int = 72, seed: int = 0
) -> Iterator[np.ndarray]:
    """Yield the RGB frames of a looping scene: 'orbs', 'waves' or 'tunnel'."""
    rng = np.random.default_rng(seed)
    low, mid, high = (np.array(c, dtype=np.float32) for c in PALETTES[palette])
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = xs / width, ys / height
    orbs = rng.uniform(0, 1, size=(6, 4)).astype(np.float32)
    for i in range(frames):
        t = 2 * math.pi * i / frames  # one full loop per clip
        if kind == "waves":
            field = 0.5 + 0.5 * np.sin(10 * u + 3 * np.sin(6 * v + t) + t)
            field *= 0.6 + 0.4 * np.cos(8 * v - 2 * t)
        elif kind == "tunnel":
            du, dv = u - 0.5, (v - 0.5) * height / width
            r = np.sqrt(du * du + dv * dv) + 1e-3
            a = np.arctan2(dv, du)
            field = 0.5 + 0.5 * np.sin(8 / r * 0.1 + 6 * a + 3 * t) * np.exp(-r)
        else:  # orbs
            field = np.zeros_like(u)
            for ox, oy, size, phase in orbs:
                cx = ox + 0.2 * math.sin(t + 6 * phase)
                cy = oy + 0.2 * math.cos(t + 6 * phase)
                field += np.exp(-((u - cx) ** 2 + ((v - cy) * height / width) ** 2) / (0.01 + 0.03 * size))
            field = np.clip(field, 0, 1)
        sky = low + (mid - low) * v[..., None]
        frame = sky + (high - sky) * field[..., None]
        yield np.clip(frame, 0, 255).astype(np.uint8)
