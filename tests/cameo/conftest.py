"""Fixtures of the cameo tests: real faces (scikit-image's pictures), clips made from them,
and people with cameos ready to use."""

from __future__ import annotations

import datetime as dt
import functools
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from PIL import Image
from skimage import data

from cameo.models import Cameo
from cameo.services import cameo_create, verification_submit
from generation.encoding import encode_mp4
from generation.models import GenerationJob
from moderation.models import Case
from moderation.services import case_decide

from ..factories import UserFactory, tiny_clip
from ..support import jobs


def png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


@functools.cache
def astronaut_face() -> np.ndarray:
    """The astronaut's head and shoulders, 256×256."""
    return np.ascontiguousarray(data.astronaut()[20:276, 110:366])


@functools.cache
def stranger_face() -> np.ndarray:
    """Another person's face, large enough for the face detector (an LFW picture, scaled up)."""
    face = data.lfw_subset()[0]
    grey = (np.asarray(Image.fromarray((face * 255).astype(np.uint8)).resize((256, 256), Image.BICUBIC)))
    return np.ascontiguousarray(np.stack([grey] * 3, axis=-1))


def clip_bytes(pictures: list[np.ndarray], *, frames: int = 16, fps: int = 8) -> bytes:
    """Return an MP4 of `pictures` one after the other, each panned a little: a recorded clip."""
    film = []
    for index in range(frames):
        picture = pictures[index * len(pictures) // frames]
        shift = index % 4
        film.append(np.ascontiguousarray(np.roll(picture, shift * 2, axis=1)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        encode_mp4(film, path, fps=fps)
        return path.read_bytes()


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.concatenate([left, right], axis=1))


def photo_upload(image: np.ndarray | None = None, name: str = "me.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(astronaut_face() if image is None else image), content_type="image/png")


def clip_upload(content: bytes | None = None, name: str = "clip.mp4") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, clip_bytes([astronaut_face()]) if content is None else content,
                              content_type="video/mp4")


def finish(job: GenerationJob) -> GenerationJob:
    """Leave `job` as the worker would: ready, with a real MP4 and an allowed output."""
    video, poster = tiny_clip()
    job.video.save("video.mp4", ContentFile(video), save=False)
    job.poster.save("poster.jpg", ContentFile(poster), save=False)
    job.state, job.phase, job.review = GenerationJob.State.READY, "ready", GenerationJob.Review.ALLOW
    job.video_duration, job.video_size, job.frame_count = 1.0, len(video), 12
    job.width, job.height = 64, 112
    job.save()
    return job


def submit(owner, prompt, **extra) -> GenerationJob:
    """Check and create `owner`'s job for `prompt`, never queued: `finish` stands for the worker."""
    return jobs.submit(owner=owner, prompt=prompt, enqueue=False, **extra)


@pytest.fixture
def moderator(db):
    from django.contrib.auth.models import Permission

    person = UserFactory(handle="mod_cameo")
    person.user_permissions.add(Permission.objects.get(codename="review_case"))
    return type(person).objects.get(pk=person.pk)


def cameo_verified(owner, moderator, **rules) -> Cameo:
    """Make `owner`'s cameo from the astronaut's photo, verify it, and set its rules."""
    cameo = cameo_create(owner=owner, photos=[photo_upload()])
    cameo = verification_submit(cameo=cameo, user=owner, clip=clip_upload())
    case = Case.objects.get(kind="cameo_verification", subject_id=cameo.pk)
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_decide(case=case, moderator=moderator, action="approve", note="It is them.")
    cameo.refresh_from_db()
    assert cameo.state == Cameo.State.VERIFIED
    if rules:
        Cameo.objects.filter(pk=cameo.pk).update(**rules)
        cameo.refresh_from_db()
    return cameo


@pytest.fixture
def alice(db):
    return UserFactory(handle="alice", date_of_birth=dt.date(1990, 1, 2))


@pytest.fixture
def bob(db):
    return UserFactory(handle="bob")


@pytest.fixture
def carol(db):
    return UserFactory(handle="carol")


@pytest.fixture
def minor(db):
    today = timezone.localdate()
    return UserFactory(handle="young", date_of_birth=today.replace(year=today.year - 16))
