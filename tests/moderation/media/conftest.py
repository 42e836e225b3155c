"""Real pictures for the media checks: the ones that ship inside scikit-image."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from moderation.media.bank import protected_media_add
from moderation.models import ProtectedMedia

from .pictures import png_bytes, resized


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def controls() -> dict[str, np.ndarray]:
    """Pictures that show no face and nothing from the bank."""
    return {"cat": data.chelsea(), "coffee": data.coffee(), "rocket": data.rocket()}


@pytest.fixture(scope="session")
def lfw_faces() -> list[np.ndarray]:
    """The 100 faces of scikit-image's LFW subset, as 160-pixel RGB pictures."""
    faces = data.lfw_subset()[:100]
    return [resized(np.stack([(face * 255).astype(np.uint8)] * 3, axis=-1), 160, 160) for face in faces]


@pytest.fixture(scope="session")
def astronaut_in_scene(astronaut, controls) -> np.ndarray:
    """The astronaut's head and shoulders pasted onto the coffee picture: a new photo, same face."""
    scene = controls["coffee"].copy()
    scene[60:320, 240:500] = astronaut[40:300, 120:380]
    return scene


@pytest.fixture
def add_to_bank(db):
    def add(image: np.ndarray | bytes | Path, *, label: str = "Protected", category: str = "copyright") -> ProtectedMedia:
        source = image if isinstance(image, Path) else io.BytesIO(image if isinstance(image, bytes) else png_bytes(image))
        return protected_media_add(label=label, category=category, file=source).entry

    return add
