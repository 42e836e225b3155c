import numpy as np
import pytest
from skimage import data

from moderation.media import Decision, Frame, MediaContext
from moderation.media.checks import (
    AgeEstimate,
    FaceBankMatch,
    FaceDetection,
    NudityDetection,
    ProtectedMediaMatch,
    _nudity_detector,
    nudity_detections,
)
from moderation.media.frames import sample_frames

from .pictures import brighter, encode_clip, film, jpeg, resized, still, watermarked

CONTEXT = MediaContext(source="upload", subject="test")


def run(check, frames):
    return check.run(frames=frames, context=CONTEXT)


# --- Faces


def test_the_astronauts_face_is_found_with_its_box(astronaut):
    (finding,) = run(FaceDetection(), still(astronaut))
    assert finding.category == "face" and finding.rule == "media:face"
    assert finding.action is Decision.ALLOW
    assert finding.evidence["count"] == 1
    x, y, width, height = finding.evidence["boxes"][0]
    assert 150 < x < 200 and 50 < y < 100 and 70 < width < 120


def test_every_face_of_a_row_of_lfw_faces_is_counted(lfw_faces):
    row = np.concatenate(lfw_faces[:4], axis=1)
    (finding,) = run(FaceDetection(), still(row))
    assert finding.evidence["count"] == 4


def test_a_coffee_cup_a_cat_and_a_rocket_show_no_face(controls):
    frames = [Frame(index=i, time=None, image=picture) for i, picture in enumerate(controls.values())]
    assert run(FaceDetection(), frames) == []


# --- Protected media by PDQ hash


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: resized(a, 300, 300),
        lambda a: jpeg(a, 30),
        brighter,
        watermarked,
        lambda a: np.ascontiguousarray(a[:, ::-1]),
        lambda a: np.ascontiguousarray(np.rot90(a)),
    ],
    ids=["resize", "jpeg", "brightness", "watermark", "mirror", "quarter-turn"],
)
def test_an_edited_copy_of_a_protected_still_is_blocked(add_to_bank, astronaut, edit):
    entry = add_to_bank(astronaut, label="Mission poster", category="copyright")
    (finding,) = run(ProtectedMediaMatch(), still(edit(astronaut)))
    assert finding.action is Decision.BLOCK
    assert finding.category == "copyright"
    assert finding.rule == f"media:pdq:{entry.pk}"
    assert finding.score <= 31
    assert finding.evidence["label"] == "Mission poster"
    assert finding.frame_index == 0


def test_unrelated_pictures_do_not_match_the_bank(add_to_bank, astronaut, controls):
    add_to_bank(astronaut)
    frames = [Frame(index=i, time=None, image=picture) for i, picture in enumerate(controls.values())]
    assert run(ProtectedMediaMatch(), frames) == []


def test_a_match_takes_the_category_of_its_bank_entry(add_to_bank, astronaut):
    entry = add_to_bank(astronaut, label="An astronaut", category="public_figure")
    (finding,) = run(ProtectedMediaMatch(), still(jpeg(astronaut)))
    assert finding.category == "public_figure" and finding.rule == f"media:pdq:{entry.pk}"


def test_inactive_entries_and_later_changes_are_seen_at_once(add_to_bank, astronaut):
    entry = add_to_bank(astronaut)
    assert run(ProtectedMediaMatch(), still(astronaut))
    entry.active = False
    entry.save(update_fields=["active", "updated_at"])
    assert run(ProtectedMediaMatch(), still(astronaut)) == []


def test_a_clip_showing_a_protected_still_is_blocked_at_the_frame_that_shows_it(tmp_path, add_to_bank, astronaut):
    entry = add_to_bank(astronaut)
    # 1 s of an unrelated shot, then the still letterboxed in a portrait frame for 1 s.
    canvas = np.zeros((256, 144, 3), dtype=np.uint8)
    canvas[56:200] = resized(astronaut, 144, 144)
    shot = film(12, width=144, height=256, pictures=[data.rocket()])
    clip = encode_clip(shot + [canvas] * 12, tmp_path / "clip.mp4", fps=12)
    findings = run(ProtectedMediaMatch(), sample_frames(clip, fps=2))
    (finding,) = findings
    assert finding.rule == f"media:pdq:{entry.pk}" and finding.action is Decision.BLOCK
    assert finding.time >= 1.0
    assert finding.evidence["frames_matched"] == 2 and finding.evidence["frames_checked"] == 4


def test_a_reencoded_watermarked_copy_of_a_protected_clip_is_blocked(tmp_path, add_to_bank):
    original = film(48, width=128, height=128, pictures=[data.chelsea(), data.coffee()])
    protected = add_to_bank(encode_clip(original, tmp_path / "film.mp4", fps=12), label="Film excerpt")
    assert protected.kind == "video" and protected.frame_count >= 3
    copy = encode_clip([watermarked(resized(f, 160, 160)) for f in original], tmp_path / "copy.mp4", fps=12)
    (finding,) = run(ProtectedMediaMatch(), sample_frames(copy, fps=1))
    assert finding.action is Decision.BLOCK and finding.rule == f"media:pdq:{protected.pk}"
    assert finding.evidence["frame_ratio"] >= 0.5


def test_a_clip_that_shares_a_little_with_a_protected_clip_goes_to_review(tmp_path, add_to_bank):
    original = film(96, width=128, height=128, pictures=[data.chelsea(), data.coffee()])
    protected = add_to_bank(encode_clip(original, tmp_path / "film.mp4", fps=12))
    # Two seconds of the protected clip inside seven seconds of something else.
    other = film(84, width=128, height=128, pictures=[data.rocket(), data.immunohistochemistry()])
    mixed = encode_clip(other[:48] + original[:24] + other[48:], tmp_path / "mixed.mp4", fps=12)
    findings = run(ProtectedMediaMatch(video_ratio=0.5), sample_frames(mixed, fps=1))
    assert [f.rule for f in findings] == [f"media:pdq:{protected.pk}"]
    assert findings[0].action is Decision.REVIEW


# --- Public figures by face descriptor


def test_a_public_figures_face_in_a_new_photo_is_blocked(add_to_bank, astronaut, astronaut_in_scene):
    entry = add_to_bank(astronaut, label="The astronaut", category="public_figure")
    assert entry.has_face
    (finding,) = run(FaceBankMatch(), still(astronaut_in_scene))
    assert finding.action is Decision.BLOCK
    assert finding.category == "public_figure" and finding.rule == f"media:face:{entry.pk}"
    assert finding.score < 0.3
    x, y, width, height = finding.evidence["box"]
    assert 250 < x < 340 and 60 < y < 140


def test_a_mirrored_public_figure_is_still_recognised(add_to_bank, astronaut):
    add_to_bank(astronaut, category="public_figure")
    (finding,) = run(FaceBankMatch(), still(np.ascontiguousarray(astronaut[:, ::-1])))
    assert finding.action is Decision.BLOCK


def test_other_peoples_faces_are_not_taken_for_a_public_figure(add_to_bank, astronaut, lfw_faces):
    add_to_bank(astronaut, category="public_figure")
    grid = np.concatenate([np.concatenate(lfw_faces[row * 10 : row * 10 + 10], axis=1) for row in range(2)], axis=0)
    findings = run(FaceBankMatch(), still(grid))
    assert all(f.action is not Decision.BLOCK for f in findings)


def test_the_right_face_of_a_row_is_matched_to_its_bank_photo(add_to_bank, lfw_faces):
    # Faces 1, 2, 5 and 6 of the subset lie at least 0.65 apart in descriptor space.
    entry = add_to_bank(lfw_faces[5], label="Face five", category="public_figure")
    row = np.concatenate([lfw_faces[1], lfw_faces[2], jpeg(lfw_faces[5], 60), lfw_faces[6]], axis=1)
    (finding,) = run(FaceBankMatch(), still(row))
    assert finding.rule == f"media:face:{entry.pk}" and finding.action is Decision.BLOCK
    assert 320 <= finding.evidence["box"][0] < 480


def test_face_matching_is_skipped_when_no_public_figure_has_a_face(add_to_bank, astronaut):
    add_to_bank(astronaut, category="copyright")
    frame = Frame(index=0, time=None, image=astronaut)
    assert run(FaceBankMatch(), [frame]) == []
    assert frame.cache == {}  # nothing was computed


# --- Apparent minors and nudity


def test_an_adult_face_is_not_taken_for_a_minor(astronaut):
    assert run(AgeEstimate(), still(astronaut)) == []


def test_a_face_estimated_younger_than_the_limit_goes_to_review(astronaut):
    (finding,) = run(AgeEstimate(review_below=70), still(astronaut))
    assert finding.category == "minor" and finding.rule == "media:age:under-70"
    assert finding.action is Decision.REVIEW
    assert 20 <= finding.evidence["estimated_age"] < 70
    (blocked,) = run(AgeEstimate(review_below=70, block_below=70), still(astronaut))
    assert blocked.action is Decision.BLOCK


def test_ordinary_pictures_show_no_nudity(astronaut, controls):
    frames = [Frame(index=i, time=None, image=p) for i, p in enumerate([astronaut, *controls.values()])]
    assert run(NudityDetection(), frames) == []


def test_a_frame_showing_a_listed_class_goes_to_review(astronaut):
    (finding,) = run(NudityDetection(classes=["FACE_FEMALE"]), still(astronaut))
    assert finding.rule == "media:nudity:face_female" and finding.action is Decision.REVIEW
    assert finding.evidence["detections"][0]["box"]


def test_nudity_detections_are_exactly_nudenets_own(astronaut, controls, lfw_faces):
    detector = _nudity_detector()
    rng = np.random.default_rng(5)
    pictures = [
        astronaut, *controls.values(), np.concatenate(lfw_faces[:4], axis=1),
        np.ascontiguousarray(astronaut[::3, ::2]),  # taller than wide
        *(rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for height, width in [(176, 96), (33, 77)]),
    ]
    found = 0
    for picture in pictures:
        expected = detector.detect(np.ascontiguousarray(picture[:, :, ::-1]))
        assert nudity_detections(detector, picture) == expected
        found += len(expected)
    assert found  # faces at least: the comparison covered boxes, not only empty lists
