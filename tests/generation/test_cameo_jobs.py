"""Jobs that use a cameo: rendered from the person's reference photo, and their face in the
output is theirs, not a stranger's."""

from __future__ import annotations

import numpy as np
import pytest

from cameo.models import Appearance
from generation.models import GenerationJob
from generation.output import output_check
from generation.runner import job_run
from tests.cameo.conftest import alice, bob, cameo_verified, moderator, stranger_face  # noqa: F401
from tests.support.jobs import submit

pytestmark = pytest.mark.django_db


def test_a_cameo_job_is_rendered_from_the_reference_photo(alice, bob, moderator, sent_jobs,  # noqa: F811
                                                          django_capture_on_commit_callbacks):
    cameo_verified(alice, moderator, audience="everyone")
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(owner=bob, prompt="@alice surfing at sunset", duration=1)
    assert job_run(job.pk) == GenerationJob.State.READY, GenerationJob.objects.get(pk=job.pk).error
    job.refresh_from_db()
    first = job.parameters["passes"][0]
    assert first["reference"] == {"cameo": "alice"}
    assert first["mode"] == "image"  # image to video, from Alice's photo
    assert job.parameters["cameos"][0]["handle"] == "alice"
    assert Appearance.objects.get(job_id=job.pk).owner == alice


def test_the_face_of_a_consenting_cameo_passes_and_a_stranger_goes_to_review(alice, bob, moderator):  # noqa: F811
    from skimage import data

    cameo_verified(alice, moderator, audience="everyone")
    job = submit(owner=bob, prompt="@alice on stage", duration=1, enqueue=False)
    face = np.ascontiguousarray(data.astronaut())
    assert output_check(job, [face] * 16).decision == "allow"
    verdict = output_check(job, [stranger_face()] * 16)
    assert verdict.decision == "review" and "output:face:no_consenting_cameo" in verdict.rules
    nobody = submit(owner=bob, prompt="a portrait", duration=1, enqueue=False)
    assert "output:face:no_consenting_cameo" in output_check(nobody, [face] * 16).rules
