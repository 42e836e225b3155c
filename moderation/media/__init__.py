"""Media checks: faces, protected media, public figures, apparent minors, nudity.

Callers check frames with `media_check` (or a file with `media_check_file`) and act on the
returned `MediaVerdict`; which checks run is chosen by `MODERATION_MEDIA_CHECKS`.
"""

from .frames import image_frames, load_frames, sample_frames
from .services import MEDIA_POLICY_VERSION, load_media_checks, media_check, media_check_file
from .types import Category, CheckFailure, Decision, Finding, Frame, MediaContext, MediaVerdict

__all__ = [
    "MEDIA_POLICY_VERSION",
    "Category",
    "CheckFailure",
    "Decision",
    "Finding",
    "Frame",
    "MediaContext",
    "MediaVerdict",
    "image_frames",
    "load_frames",
    "load_media_checks",
    "media_check",
    "media_check_file",
    "sample_frames",
]
