"""Likenesses (`cameo.likeness`): the photos a cameo is made from, the clip that verifies it,
and the faces in a generated video, which must be those of the cameos that consented."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from skimage import data

from accounts.models import Notification
from cameo.models import Cameo
from cameo.services import cameo_create, verification_submit
from generation.output import output_check
from moderation.media import Finding
from moderation.media.bank import protected_media_add
from moderation.media.base import MediaCheck
from moderation.media.types import Decision as MediaDecision
from moderation.models import Case
from tests.support.jobs import submit
from tests.support.renders import _small_renders  # noqa: F401

from .conftest import (
    astronaut_face,
    cameo_verified,
    clip_bytes,
    clip_upload,
    photo_upload,
    png,
    side_by_side,
    stranger_face,
)

pytestmark = pytest.mark.django_db


# --- Photos


def _bad_photos():
    coffee = data.coffee()
    return {
        "not an image": (SimpleUploadedFile("me.png", b"%PDF-1.4 not a picture"), "valid image"),
        "no face": (SimpleUploadedFile("cup.png", png(coffee)), "No face"),
        "two faces": (SimpleUploadedFile("two.png", png(side_by_side(astronaut_face(), stranger_face()))),
                      "more than one face"),
    }


@pytest.mark.parametrize("case", ["not an image", "no face", "two faces"])
def test_bad_photos_are_refused_and_nothing_is_kept(alice, case):
    upload, words = _bad_photos()[case]
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[upload])
    assert words in " ".join(refused.value.message_dict["photos"])
    assert not Cameo.objects.exists()


def test_an_oversized_photo_is_refused(alice, settings):
    settings.CAMEO_PHOTO_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "too large" in refused.value.message_dict["photos"][0]


def test_photos_of_two_people_are_refused(alice):
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload(), photo_upload(stranger_face())])
    assert "same person" in refused.value.message_dict["photos"][0]


def test_a_public_figure_likeness_is_blocked(alice):
    protected_media_add(label="A famous astronaut", category="public_figure", file=io.BytesIO(png(astronaut_face())))
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "public figure" in refused.value.message_dict["photos"][0].lower()
    assert not Cameo.objects.exists()


class LooksYoung(MediaCheck):
    """An age estimate that sees someone under 18 in every picture."""

    name = "looks_young"

    def run(self, *, frames, context):
        return [Finding(check=self.name, category="minor", rule="media:age:under-18", action=MediaDecision.REVIEW,
                        frame_index=frames[0].index, time=frames[0].time)]


def test_signs_of_a_minor_block_a_likeness_even_where_a_post_would_only_be_reviewed(alice, settings):
    settings.MODERATION_MEDIA_CHECKS = [f"{__name__}.LooksYoung"]
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "media:age:under-18" in refused.value.message_dict["photos"][0]
    assert not Cameo.objects.exists()


# --- The verification clip


@pytest.mark.parametrize("clip, words", [
    (lambda: clip_bytes([stranger_face()]), "does not match"),
    (lambda: clip_bytes([side_by_side(astronaut_face(), stranger_face())]), "Someone else"),
    (lambda: clip_bytes([data.coffee()[:256, :256].copy()]), "not visible"),
    (lambda: b"not a video at all", "Upload a video"),
])
def test_a_clip_that_does_not_prove_it_is_them_is_refused(alice, clip, words):
    cameo = cameo_create(owner=alice, photos=[photo_upload()])
    try:  # refused at once (not a video), or by the check of its frames
        cameo = verification_submit(cameo=cameo, user=alice, clip=clip_upload(clip()))
    except ValidationError as refused:
        message = refused.message_dict["clip"][0]
    else:
        message = cameo.clip_checks["refused"]
        assert Notification.objects.filter(recipient=alice, verb="cameo_not_verified").exists()
    assert words in message
    cameo.refresh_from_db()
    assert cameo.state == Cameo.State.PENDING and not cameo.clip
    assert not Case.objects.filter(kind="cameo_verification").exists()


# --- Faces in a generated video


def test_the_face_of_a_consenting_cameo_passes_and_a_stranger_goes_to_review(alice, bob, moderator):
    from skimage import data

    cameo_verified(alice, moderator, audience="everyone")
    job = submit(owner=bob, prompt="@alice on stage", duration=1, enqueue=False)
    face = np.ascontiguousarray(data.astronaut())
    assert output_check(job, [face] * 16).decision == "allow"
    verdict = output_check(job, [stranger_face()] * 16)
    assert verdict.decision == "review" and "output:face:no_consenting_cameo" in verdict.rules
    nobody = submit(owner=bob, prompt="a portrait", duration=1, enqueue=False)
    assert "output:face:no_consenting_cameo" in output_check(nobody, [face] * 16).rules
