"""Video backends: one small interface, the implementation picked by GENERATION_BACKEND."""

from .base import (
    BackendConfigurationError,
    RenderCancelled,
    RenderError,
    RenderMode,
    RenderRequest,
    RenderResult,
    VideoBackend,
    backend_get,
    backend_reset,
    frames_for_duration,
    is_valid_frame_count,
)

__all__ = [
    "BackendConfigurationError",
    "RenderCancelled",
    "RenderError",
    "RenderMode",
    "RenderRequest",
    "RenderResult",
    "VideoBackend",
    "backend_get",
    "backend_reset",
    "frames_for_duration",
    "is_valid_frame_count",
]
