"""The interface every video backend implements, and the process-wide backend."""

from __future__ import annotations

import abc
import enum
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "generation.backends.wan.WanBackend"

# The Wan VAE packs 4 frames into one latent frame after the first, so clips are 4k+1 frames.
FRAME_STRIDE = 4
# 8x spatial VAE compression times the transformer's 2x2 patches.
SIDE_MULTIPLE = 16

ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


class RenderMode(enum.StrEnum):
    """What a render starts from."""

    TEXT = "text"
    IMAGE = "image"
    REMIX = "remix"
    EXTEND = "extend"


class BackendConfigurationError(ImproperlyConfigured):
    """The backend setting names something that is not a usable backend."""


class RenderError(Exception):
    """A render could not be made for a reason the creator can act on.

    `user_message` is shown to the creator as it is (translated, no internals); any other
    exception reaches them only as "the video model failed".
    """

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class RenderCancelled(Exception):
    """The render stopped early because its job was cancelled."""

    def __init__(self, *, steps_done: int, steps_total: int) -> None:
        super().__init__(f"Render cancelled after {steps_done} of {steps_total} steps.")
        self.steps_done = steps_done
        self.steps_total = steps_total


def frames_for_duration(*, seconds: float, fps: int) -> int:
    """Return the valid frame count (4k+1) closest to `seconds` of video at `fps`.

    A 2 s clip at 16 fps asks for 32 frames and gets 33; the clip plays 1/fps longer or
    shorter than asked, never more than 2 frames off.
    """
    if seconds <= 0 or fps <= 0:
        raise ValueError("Duration and fps must be positive.")
    wanted = seconds * fps
    k = max(0, math.floor((wanted - 1) / FRAME_STRIDE + 0.5))
    return k * FRAME_STRIDE + 1


def is_valid_frame_count(count: int) -> bool:
    """Return whether `count` is a frame count the Wan VAE can encode and decode."""
    return count >= 1 and count % FRAME_STRIDE == 1


@dataclass(frozen=True, kw_only=True)
class RenderRequest:
    """Everything a backend needs to render one clip."""

    mode: RenderMode
    prompt: str
    negative_prompt: str = ""
    width: int = 480
    height: int = 832
    num_frames: int = 33
    fps: int = 16
    steps: int = 30
    guidance: float = 5.0
    seed: int = 0
    # RGB uint8, H×W×3: the first frame of an image render.
    source_image: np.ndarray | None = field(default=None, repr=False, compare=False)
    # RGB uint8 frames: the clip a remix restyles or an extend continues.
    source_video: list[np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", RenderMode(self.mode))
        if not is_valid_frame_count(self.num_frames):
            raise ValueError(
                f"num_frames must be 4k+1 (got {self.num_frames}); use frames_for_duration()."
            )
        if (
            self.width % SIDE_MULTIPLE
            or self.height % SIDE_MULTIPLE
            or self.width <= 0
            or self.height <= 0
        ):
            raise ValueError(f"width and height must be positive multiples of {SIDE_MULTIPLE}.")
        if self.steps < 1 or self.fps < 1:
            raise ValueError("steps and fps must be at least 1.")
        if self.mode is RenderMode.IMAGE and self.source_image is None:
            raise ValueError("An image render needs source_image.")
        if self.mode in (RenderMode.REMIX, RenderMode.EXTEND) and not self.source_video:
            raise ValueError(f"A {self.mode} render needs source_video.")


@dataclass(frozen=True, kw_only=True)
class RenderResult:
    """The frames of a clip and what is needed to render it again exactly."""

    frames: list[np.ndarray] = field(repr=False)
    fps: int
    model_id: str
    model_version: str
    seed: int
    parameters: dict[str, Any]


class VideoBackend(abc.ABC):
    """Turn a render request into frames, reporting progress and honouring cancellation."""

    #: How many frames at the end of what came before an extend render takes as the opening
    #: of its clip (and returns again): the planner spends them on context, not new film.
    extend_context_frames: ClassVar[int] = 5

    @classmethod
    def from_settings(cls) -> VideoBackend:
        """Return a backend configured from Django settings."""
        return cls()

    @abc.abstractmethod
    def render(
        self,
        *,
        request: RenderRequest,
        on_step: ProgressCallback | None = None,
        should_cancel: CancelCheck | None = None,
    ) -> RenderResult:
        """Render `request`; call on_step(done, total) after each step; raise RenderCancelled
        when should_cancel() turns true."""


_lock = threading.Lock()
_backend: VideoBackend | None = None
_backend_path: str | None = None


def backend_class(path: str) -> type[VideoBackend]:
    """Return the backend class named by dotted `path`, or raise BackendConfigurationError."""
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise BackendConfigurationError(
            f"GENERATION_BACKEND {path!r} cannot be imported: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, VideoBackend)):
        raise BackendConfigurationError(
            f"GENERATION_BACKEND {path!r} is not a VideoBackend subclass."
        )
    return cls


def backend_get() -> VideoBackend:
    """Return this process's backend, building it on first use and keeping it loaded.

    Loading a model takes far longer than a render, so a worker keeps one backend for its
    lifetime; a changed setting (tests) builds a new one.
    """
    global _backend, _backend_path
    path = getattr(settings, "GENERATION_BACKEND", DEFAULT_BACKEND)
    with _lock:
        if _backend is None or _backend_path != path:
            _backend = backend_class(path).from_settings()
            _backend_path = path
        return _backend


def backend_reset() -> None:
    """Forget the process's backend, so the next backend_get() builds a fresh one."""
    global _backend, _backend_path
    with _lock:
        _backend = None
        _backend_path = None
