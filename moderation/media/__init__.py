"""Media checks: faces, protected media, public figures, apparent minors, nudity.

Callers check frames with `media_check` (or a file with `media_check_file`) and act on the
returned `MediaVerdict`; which checks run is chosen by `MODERATION_MEDIA_CHECKS`.
"""

from .base import CheckUnavailable
from .faces import FaceEmbedding, face_embeddings
from .frames import DecodeLimitExceeded, film_frames, image_frames, load_frames, sample_frames
from .hashing import DEFAULT_MAX_DISTANCE as PDQ_MAX_DISTANCE
from .hashing import DEFAULT_MIN_QUALITY as PDQ_MIN_QUALITY
from .hashing import hamming, pack_hex, pdq_hash
from .services import (
    MEDIA_POLICY_VERSION,
    load_media_checks,
    media_check,
    media_check_file,
    media_sample_film,
)
from .types import Category, CheckFailure, Decision, Finding, Frame, MediaContext, MediaVerdict

__all__ = [
    "MEDIA_POLICY_VERSION",
    "PDQ_MAX_DISTANCE",
    "PDQ_MIN_QUALITY",
    "Category",
    "CheckFailure",
    "CheckUnavailable",
    "DecodeLimitExceeded",
    "Decision",
    "FaceEmbedding",
    "Finding",
    "Frame",
    "MediaContext",
    "MediaVerdict",
    "face_embeddings",
    "film_frames",
    "hamming",
    "image_frames",
    "load_frames",
    "load_media_checks",
    "media_check",
    "media_check_file",
    "media_sample_film",
    "pack_hex",
    "pdq_hash",
    "sample_frames",
]
