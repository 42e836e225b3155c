"""PDQ perceptual hashes and a brute-force Hamming index to search them.

A PDQ hash is 256 bits; two pictures whose hashes differ in at most ~31 bits are
near-duplicates (resized, re-encoded, brightened, watermarked). Hashes are kept packed:
32 bytes, or 64 hex characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .base import CheckUnavailable

HASH_BYTES = 32
# The distance Meta recommends for PDQ near-duplicates.
DEFAULT_MAX_DISTANCE = 31
# Below this, a picture is too flat (blank, a solid colour, a heavy blur) for its hash to
# mean anything: vPDQ drops such frames too.
DEFAULT_MIN_QUALITY = 50

_POPCOUNT = np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)


@dataclass(frozen=True)
class PdqHash:
    """A packed PDQ hash and its quality (0-100)."""

    bits: bytes
    quality: int

    @property
    def hex(self) -> str:
        return self.bits.hex()

    @classmethod
    def from_hex(cls, value: str, quality: int = 100) -> PdqHash:
        bits = bytes.fromhex(value)
        if len(bits) != HASH_BYTES:
            raise ValueError("A PDQ hash is 64 hex characters.")
        return cls(bits=bits, quality=quality)


def _pdqhash():
    try:
        import pdqhash
    except ImportError as exc:
        raise CheckUnavailable(f"pdqhash is not installed ({exc})") from exc
    return pdqhash


def pdq_hash(image: np.ndarray) -> PdqHash:
    """Return the PDQ hash of an RGB image, after trimming uniform borders."""
    bits, quality = _pdqhash().compute(trim_borders(image))
    return PdqHash(bits=np.packbits(bits.astype(np.uint8)).tobytes(), quality=int(quality))


def pdq_hashes_dihedral(image: np.ndarray) -> list[PdqHash]:
    """Return the 8 PDQ hashes of an RGB image under every flip and quarter turn."""
    hashes, quality = _pdqhash().compute_dihedral(trim_borders(image))
    return [PdqHash(bits=np.packbits(bits.astype(np.uint8)).tobytes(), quality=int(quality)) for bits in hashes]


def trim_borders(image: np.ndarray, *, tolerance: int = 12, max_fraction: float = 0.45) -> np.ndarray:
    """Return `image` without the flat bars around it (letterbox, pillarbox, padding).

    A still padded into a video frame hashes nothing like the still itself, so the bars go
    before hashing. Only rows and columns that match the corner colour are cut, and never
    more than `max_fraction` of a side, so a mostly flat picture is left as it is.
    """
    if image.ndim != 3 or min(image.shape[:2]) < 8:
        return image
    height, width = image.shape[:2]
    corners = np.array([image[0, 0], image[0, -1], image[-1, 0], image[-1, -1]], dtype=np.int16)
    colour = np.median(corners, axis=0)
    flat = np.abs(image.astype(np.int16) - colour).max(axis=2) <= tolerance
    rows = flat.mean(axis=1) >= 0.98
    cols = flat.mean(axis=0) >= 0.98
    top = _run_length(rows, int(height * max_fraction))
    bottom = _run_length(rows[::-1], int(height * max_fraction))
    left = _run_length(cols, int(width * max_fraction))
    right = _run_length(cols[::-1], int(width * max_fraction))
    if not (top or bottom or left or right):
        return image
    return np.ascontiguousarray(image[top : height - bottom, left : width - right])


def _run_length(flags: np.ndarray, limit: int) -> int:
    run = 0
    while run < limit and flags[run]:
        run += 1
    # A bar shorter than 1% of the side is noise, not padding.
    return run if run * 100 >= len(flags) else 0


def pack_hex(values: Sequence[str]) -> np.ndarray:
    """Return hex PDQ hashes as an N×32 uint8 array."""
    if not values:
        return np.zeros((0, HASH_BYTES), dtype=np.uint8)
    return np.frombuffer(b"".join(bytes.fromhex(value) for value in values), dtype=np.uint8).reshape(-1, HASH_BYTES)


def hamming(queries: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Return the M×N Hamming distances between packed hashes."""
    return _POPCOUNT[queries[:, None, :] ^ hashes[None, :, :]].sum(axis=2, dtype=np.int32)


class HashIndex:
    """Packed PDQ hashes, each tagged with the row of whatever it belongs to.

    Brute force: at 32 bytes a hash, a million hashes take 32 MB and a query scans them in
    well under a second, so a tree or faiss only pays off far beyond a moderation bank.
    """

    # Rows of the query × bank distance matrix computed at once, to bound memory.
    CHUNK_CELLS = 4_000_000

    def __init__(self, hashes: np.ndarray, owners: np.ndarray) -> None:
        if hashes.ndim != 2 or hashes.shape[1] != HASH_BYTES or len(hashes) != len(owners):
            raise ValueError("hashes must be N×32 bytes with one owner each.")
        self.hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
        self.owners = np.asarray(owners, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.hashes)

    def search(self, queries: np.ndarray, *, max_distance: int) -> list[tuple[int, int, int]]:
        """Return (query row, hash row, distance) for every pair within `max_distance`."""
        if not len(self) or not len(queries):
            return []
        matches: list[tuple[int, int, int]] = []
        step = max(1, self.CHUNK_CELLS // (len(self) * HASH_BYTES))
        for start in range(0, len(queries), step):
            distances = hamming(queries[start : start + step], self.hashes)
            for query_row, hash_row in zip(*np.nonzero(distances <= max_distance), strict=True):
                matches.append((start + int(query_row), int(hash_row), int(distances[query_row, hash_row])))
        return matches
