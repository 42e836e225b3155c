"""The check of a finished film (`generation.output.output_check`): a face that is not a
consenting cameo's sends the draft to review."""

from __future__ import annotations

import numpy as np
import pytest

from generation.models import GenerationJob

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_face_in_the_output_sends_the_draft_to_review(user):
    from skimage import data

    from generation.output import output_check

    job = GenerationJob.objects.create(owner=user, prompt="a portrait", duration=2, aspect_ratio="1:1", seed=1, fps=8)
    face = data.astronaut()
    verdict = output_check(job, [face] * 16)
    assert verdict.decision == "review"
    assert "output:face:no_consenting_cameo" in verdict.rules
    rng = np.random.default_rng(3)
    noise = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(16)]
    assert "output:face:no_consenting_cameo" not in output_check(job, noise).rules
