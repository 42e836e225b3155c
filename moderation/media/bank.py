"""Add protected media to the bank, and search it."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from PIL import Image, UnidentifiedImageError

from accounts.models import User

from ..models import ProtectedMedia
from .base import CheckUnavailable
from .faces import EMBEDDING_SIZE, FACE_MODEL, face_embeddings
from .frames import image_frames, sample_frames
from .hashing import DEFAULT_MIN_QUALITY, HashIndex, pack_hex, pdq_hash
from .types import Frame

logger = logging.getLogger(__name__)

DEFAULT_BANK_FPS = 1.0
DEFAULT_BANK_MAX_FRAMES = 300
MIN_BANK_FACE_SCORE = 0.3


class BankError(ValueError):
    """Raised when a file cannot serve as protected media; the message says why."""


@dataclass(frozen=True)
class BankAnalysis:
    """The fingerprints of a file, ready to be stored as protected media."""

    kind: str
    file_sha256: str
    pdq_hashes: tuple[str, ...]
    pdq_quality: int
    face_embedding: tuple[float, ...] | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class BankAddition:
    """A new bank entry and what the person adding it should know."""

    entry: ProtectedMedia
    notes: tuple[str, ...]


def protected_media_analyse(*, file: str | Path | BinaryIO, category: str) -> BankAnalysis:
    """Return the fingerprints of the image or video `file` for a bank entry of `category`."""
    if category not in ProtectedMedia.Category.values:
        raise BankError(f"Unknown category {category!r}.")
    data = _read(file)
    digest = hashlib.sha256(data).hexdigest()
    try:
        frames = image_frames(data, max_frames=1, max_side=None)
        kind = ProtectedMedia.Kind.IMAGE
    except UnidentifiedImageError:
        frames = []
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BankError(f"The image cannot be read: {exc}") from exc
    if not frames:
        fps = float(getattr(settings, "MODERATION_MEDIA_BANK_FPS", DEFAULT_BANK_FPS))
        limit = int(getattr(settings, "MODERATION_MEDIA_BANK_MAX_FRAMES", DEFAULT_BANK_MAX_FRAMES))
        try:
            frames = sample_frames(data, fps=fps, max_frames=limit)
        except Exception as exc:  # PyAV raises a family of its own errors for what it cannot read.
            raise BankError("The file is neither an image nor a video that can be decoded.") from exc
        kind = ProtectedMedia.Kind.VIDEO
    notes: list[str] = []
    hashes = [pdq_hash(frame.image) for frame in frames]
    usable = [h for h in hashes if h.quality >= DEFAULT_MIN_QUALITY]
    if not usable:
        raise BankError("The picture is too flat (blank, blurred or one colour) to be matched reliably.")
    if len(usable) < len(hashes):
        notes.append(f"{len(hashes) - len(usable)} flat frame(s) left out of {len(hashes)}.")
    # Consecutive equal hashes (a still held on screen) add nothing to the match ratios.
    distinct = [h.hex for i, h in enumerate(usable) if i == 0 or h.hex != usable[i - 1].hex]
    embedding = None
    if category == ProtectedMedia.Category.PUBLIC_FIGURE:
        if kind == ProtectedMedia.Kind.IMAGE:
            embedding = _single_face(frames[0], notes)
        else:
            notes.append("Videos are matched by their frames only; add photos for matching the face.")
    return BankAnalysis(
        kind=kind,
        file_sha256=digest,
        pdq_hashes=tuple(distinct),
        pdq_quality=min(h.quality for h in usable),
        face_embedding=embedding,
        notes=tuple(notes),
    )


def protected_media_add(
    *,
    label: str,
    category: str,
    file: str | Path | BinaryIO,
    created_by: User | None = None,
    source: str = "",
) -> BankAddition:
    """Fingerprint `file` and add it to the bank of protected media under `label`."""
    label = label.strip()
    if not label:
        raise BankError("A label is required.")
    analysis = protected_media_analyse(file=file, category=category)
    entry = protected_media_create(
        label=label, category=category, analysis=analysis, created_by=created_by, source=source
    )
    return BankAddition(entry=entry, notes=analysis.notes)


def protected_media_create(
    *,
    label: str,
    category: str,
    analysis: BankAnalysis,
    created_by: User | None = None,
    source: str = "",
) -> ProtectedMedia:
    """Store an analysed file as protected media, refusing a file already in the bank."""
    with transaction.atomic():
        existing = ProtectedMedia.objects.filter(file_sha256=analysis.file_sha256).first()
        if existing is not None:
            raise BankError(f"This file is already in the bank as #{existing.pk} ({existing.label}).")
        entry = ProtectedMedia(label=label, category=category, created_by=created_by, source=source)
        protected_media_fill(entry=entry, analysis=analysis)
        entry.save()
    logger.info("protected media #%s added: %s (%s, %s)", entry.pk, label, category, analysis.kind)
    return entry


def protected_media_fill(*, entry: ProtectedMedia, analysis: BankAnalysis) -> None:
    """Copy the fingerprints of `analysis` onto `entry`, without saving it."""
    entry.kind = analysis.kind
    entry.file_sha256 = analysis.file_sha256
    entry.pdq_hashes = list(analysis.pdq_hashes)
    entry.pdq_quality = analysis.pdq_quality
    entry.face_embedding = list(analysis.face_embedding) if analysis.face_embedding else None
    entry.face_model = FACE_MODEL if analysis.face_embedding else ""


def _read(file: str | Path | BinaryIO) -> bytes:
    if isinstance(file, str | Path):
        return Path(file).read_bytes()
    if hasattr(file, "seek"):
        file.seek(0)
    if hasattr(file, "chunks"):  # Django's uploaded files
        return b"".join(file.chunks())
    return bytes(file.read())


def _single_face(frame: Frame, notes: list[str]) -> tuple[float, ...] | None:
    try:
        # Faint detections (a badge, a pattern) are no one a reviewer would recognise.
        faces = [face for face in face_embeddings(frame, max_side=1024) if face.box.score >= MIN_BANK_FACE_SCORE]
    except CheckUnavailable as exc:
        notes.append(f"No face descriptor: {exc}. The photo is matched by its hash only.")
        return None
    if not faces:
        notes.append("No face found in the photo: it is matched by its hash only.")
        return None
    if len(faces) > 1:
        raise BankError(
            f"The photo shows {len(faces)} faces; crop it to the public figure alone, "
            "so nobody else is blocked by mistake."
        )
    return tuple(round(float(value), 6) for value in faces[0].vector)


# --- Searching the bank


@dataclass(frozen=True)
class BankEntry:
    """What a finding needs to say about a bank entry."""

    id: int
    label: str
    category: str
    kind: str
    hash_count: int


@dataclass(frozen=True)
class BankSnapshot:
    """The active entries of the bank, indexed for matching, at one revision."""

    revision: str
    entries: dict[int, BankEntry]
    hashes: HashIndex
    face_owners: np.ndarray
    face_vectors: np.ndarray

    @property
    def has_faces(self) -> bool:
        return len(self.face_owners) > 0


_snapshot_lock = threading.Lock()
_snapshots: dict[str, BankSnapshot] = {}


def bank_revision() -> str:
    """Return a short name for the bank's current state; any change to it changes the name."""
    state: dict[str, Any] = ProtectedMedia.objects.aggregate(count=Count("id"), top=Max("id"), last=Max("updated_at"))
    stamp = f"{state['count']}:{state['top']}:{state['last'].isoformat() if state['last'] else ''}"
    return f"{state['count']}-{hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest()[:8]}"


def bank_snapshot() -> BankSnapshot:
    """Return the active bank, rebuilding the in-process index only when the bank changed."""
    revision = bank_revision()
    with _snapshot_lock:
        cached = _snapshots.get("default")
        if cached is not None and cached.revision == revision:
            return cached
    snapshot = _build_snapshot(revision)
    with _snapshot_lock:
        _snapshots["default"] = snapshot
    return snapshot


def _build_snapshot(revision: str) -> BankSnapshot:
    entries: dict[int, BankEntry] = {}
    hex_hashes: list[str] = []
    owners: list[int] = []
    face_owners: list[int] = []
    face_vectors: list[list[float]] = []
    rows = ProtectedMedia.objects.filter(active=True).values_list(
        "id", "label", "category", "kind", "pdq_hashes", "face_embedding", "face_model"
    )
    for pk, label, category, kind, hashes, embedding, face_model in rows.iterator():
        entries[pk] = BankEntry(id=pk, label=label, category=category, kind=kind, hash_count=len(hashes))
        hex_hashes.extend(hashes)
        owners.extend([pk] * len(hashes))
        if (
            category == ProtectedMedia.Category.PUBLIC_FIGURE
            and face_model == FACE_MODEL
            and embedding
            and len(embedding) == EMBEDDING_SIZE
        ):
            face_owners.append(pk)
            face_vectors.append(embedding)
    return BankSnapshot(
        revision=revision,
        entries=entries,
        hashes=HashIndex(pack_hex(hex_hashes), np.array(owners, dtype=np.int64)),
        face_owners=np.array(face_owners, dtype=np.int64),
        face_vectors=np.array(face_vectors, dtype=np.float32).reshape(-1, EMBEDDING_SIZE),
    )
