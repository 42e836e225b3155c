import numpy as np
import pytest

from moderation.media.hashing import (
    DEFAULT_MAX_DISTANCE,
    DEFAULT_MIN_QUALITY,
    HashIndex,
    hamming,
    pack_hex,
    pdq_hash,
    pdq_hashes_dihedral,
    trim_borders,
)

from .pictures import brighter, jpeg, resized, watermarked


def distance(a, b) -> int:
    return int(hamming(pack_hex([a.hex]), pack_hex([b.hex]))[0, 0])


def dihedral_distance(query: np.ndarray, reference) -> int:
    return min(distance(variant, reference) for variant in pdq_hashes_dihedral(query))


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: resized(a, 256, 256),
        lambda a: jpeg(a, 30),
        brighter,
        watermarked,
    ],
    ids=["resize", "jpeg", "brightness", "watermark"],
)
def test_edited_copies_stay_within_the_match_distance(astronaut, edit):
    assert distance(pdq_hash(edit(astronaut)), pdq_hash(astronaut)) <= DEFAULT_MAX_DISTANCE


@pytest.mark.parametrize(
    "edit", [lambda a: a[:, ::-1], lambda a: np.rot90(a, 1), lambda a: np.rot90(a, 2)], ids=["mirror", "quarter", "half"]
)
def test_flips_and_turns_match_only_through_the_dihedral_hashes(astronaut, edit):
    reference = pdq_hash(astronaut)
    turned = np.ascontiguousarray(edit(astronaut))
    assert distance(pdq_hash(turned), reference) > DEFAULT_MAX_DISTANCE
    assert dihedral_distance(turned, reference) <= DEFAULT_MAX_DISTANCE


def test_unrelated_pictures_are_far_apart(astronaut, controls):
    reference = pdq_hash(astronaut)
    for picture in controls.values():
        assert dihedral_distance(picture, reference) > 3 * DEFAULT_MAX_DISTANCE


def test_a_still_padded_into_a_portrait_frame_matches_once_the_bars_are_trimmed(astronaut):
    canvas = np.zeros((512, 288, 3), dtype=np.uint8)
    canvas[112:400] = resized(astronaut, 288, 288)
    assert trim_borders(canvas).shape == (288, 288, 3)
    assert distance(pdq_hash(canvas), pdq_hash(astronaut)) <= DEFAULT_MAX_DISTANCE


def test_a_flat_picture_hashes_with_a_quality_too_low_to_match():
    assert pdq_hash(np.full((64, 64, 3), 128, dtype=np.uint8)).quality < DEFAULT_MIN_QUALITY


def test_the_index_finds_every_pair_within_the_distance():
    rng = np.random.default_rng(7)
    stored = rng.integers(0, 256, size=(500, 32), dtype=np.uint8)
    queries = stored[[3, 42, 499]].copy()
    queries[0, 0] ^= 0b111  # 3 bits away
    queries[2] = rng.integers(0, 256, size=32, dtype=np.uint8)  # random: ~128 bits away
    index = HashIndex(stored, owners=np.arange(500) + 1000)
    index.CHUNK_CELLS = 64 * 32  # force several chunks
    assert sorted(index.search(queries, max_distance=31)) == [(0, 3, 3), (1, 42, 0)]
    assert index.owners[42] == 1042


def test_the_index_refuses_hashes_of_the_wrong_size():
    with pytest.raises(ValueError):
        HashIndex(np.zeros((2, 16), dtype=np.uint8), owners=np.arange(2))
