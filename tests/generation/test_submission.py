"""The check step of submission (`generation.submission.job_check`): bad input, refused
prompts and photos, sources one may not use, the daily allowance; and the check writes nothing."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cameo.models import Appearance
from feed.models import Post
from generation.models import GenerationJob
from generation.selectors import quota_get
from generation.services import job_cancel
from generation.submission import job_check
from moderation.models import Case
from tests.cameo.conftest import cameo_verified
from tests.factories import PostFactory
from tests.support.jobs import run_to_draft, submit, submit_and_send

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"mode": "hologram"}, "mode"),
        ({"duration": 0}, "duration"),
        ({"duration": 21}, "duration"),
        ({"duration": "long"}, "duration"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"tier": "8k"}, "tier"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   "}, "prompt"),
        ({"prompt": "a" * 5000}, "prompt"),
        ({"seed": "abc"}, "seed"),
        ({"mode": "image"}, "image"),
        ({"mode": "storyboard", "shots": [{"prompt": "one", "duration": 2}]}, "shots"),
        ({"prompt": "a quiet lake\x00"}, "prompt"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_queued(user, sent_jobs, fields, field):
    arguments = {"owner": user, "prompt": "a quiet lake", **fields}
    with pytest.raises(ValidationError) as error:
        submit(**arguments)
    assert field in error.value.message_dict
    assert not GenerationJob.objects.exists() and not sent_jobs


def test_non_image_upload_is_refused(user, sent_jobs):
    upload = SimpleUploadedFile("photo.png", b"not an image at all", content_type="image/png")
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="alive", mode="image", image=upload)
    assert "image" in error.value.message_dict
    assert not GenerationJob.objects.exists()


def test_blocked_prompt_never_reaches_a_worker_and_costs_nothing(user, sent_jobs):
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="Emmanuel Macron dancing on a table", duration=3)
    message = str(error.value)
    assert "public_figure" in message or "public figure" in message.lower()
    assert "rule" in message and "appeal" in message
    job = GenerationJob.objects.get()
    assert job.state == "blocked" and job.duration == 3 and not sent_jobs
    assert quota_get(user).used == 0


def test_remix_of_a_post_you_cannot_see_is_refused(user, sent_jobs):
    hidden = PostFactory(state=Post.State.PENDING_REVIEW)
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="again", mode="remix", source_post_id=hidden.pk)
    assert "source_post" in error.value.message_dict
    with pytest.raises(ValidationError):
        submit(owner=user, prompt="again", mode="remix", source_post_id=999999)
    assert not GenerationJob.objects.exists() and not sent_jobs


def test_extensions_stop_at_sixty_seconds(user, sent_jobs, django_capture_on_commit_callbacks):
    first = run_to_draft(submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a boat", duration=1, tier="low"),
                         django_capture_on_commit_callbacks, sent_jobs)
    GenerationJob.objects.filter(pk=first.pk).update(video_duration=55.0)
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="more", mode="extend", source_job_id=first.pk, duration=10)
    assert "60" in str(error.value)


def test_quota_counts_charged_jobs_only(user, sent_jobs, settings, django_capture_on_commit_callbacks):
    settings.GENERATION_DAILY_QUOTA = 2
    first = submit(owner=user, prompt="one")
    job_cancel(job=first, user=user)
    GenerationJob.objects.create(owner=user, prompt="failed", duration=1, aspect_ratio="1:1", seed=1,
                                 state=GenerationJob.State.FAILED)
    submit(owner=user, prompt="two")
    submit(owner=user, prompt="three")
    assert quota_get(user).left == 0
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="four")
    assert "24 hours" in str(error.value)
    assert GenerationJob.objects.filter(prompt="four").count() == 0


def test_the_check_writes_nothing_and_its_request_cannot_change(alice, bob, moderator, sent_jobs):
    cameo_verified(alice, moderator, audience="everyone")
    before = (GenerationJob.objects.count(), Appearance.objects.count(), Case.objects.count())
    allowed = job_check(owner=bob, prompt="@alice surfing at sunset", duration=1)
    held = job_check(owner=bob, prompt="@alice in Nike shoes on a skateboard", duration=1)
    blocked = job_check(owner=bob, prompt="Mickey Mouse eating a pizza", duration=1)
    assert allowed.cameos and not allowed.held and allowed.refusal is None
    assert held.cameos and held.held and held.refusal is None
    assert blocked.refusal is not None
    assert (GenerationJob.objects.count(), Appearance.objects.count(), Case.objects.count()) == before
    assert not sent_jobs and quota_get(bob).used == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        allowed.prompt = "something else"  # type: ignore[misc]
