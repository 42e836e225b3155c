"""Jobs from submission to draft through the real toy pipeline, and the rules on the way."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from feed.gate import post_from_draft
from feed.models import Post
from generation import provenance
from generation.models import GeneratedVideo, GenerationJob
from generation.runner import job_run
from generation.selectors import draft_get, job_get, quota_get
from generation.services import job_cancel, job_regenerate
from moderation.media import Finding
from moderation.media.base import MediaCheck
from moderation.media.types import Decision as MediaDecision
from tests.factories import PostFactory, UserFactory
from tests.support.jobs import submit

pytestmark = pytest.mark.django_db(transaction=False)


def _probe(job: GenerationJob) -> tuple[int, int, int, float]:
    with job.video.open("rb") as handle, av.open(handle) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.codec_context.width, stream.codec_context.height, float(stream.average_rate)


def _frames(job: GenerationJob) -> list[bytes]:
    with job.video.open("rb") as handle, av.open(handle) as container:
        return [frame.to_ndarray(format="rgb24").tobytes() for frame in container.decode(video=0)]


def _run(job: GenerationJob, django_capture_on_commit_callbacks, sent_jobs) -> GenerationJob:
    assert job.pk in sent_jobs
    assert job_run(job.pk) == GenerationJob.State.READY, GenerationJob.objects.get(pk=job.pk).error
    return GenerationJob.objects.get(pk=job.pk)


def _submit(django_capture_on_commit_callbacks, **kwargs) -> GenerationJob:
    with django_capture_on_commit_callbacks(execute=True):
        return submit(**kwargs)


def test_text_job_makes_a_playable_private_draft(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="a red fox in the snow, wide shot",
                  duration=2, aspect_ratio="9:16", tier="low", style="film", seed=7)
    assert job.state == GenerationJob.State.QUEUED and job.seed == 7
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert job.is_draft and job.review == "allow" and job.progress == 1.0
    frames, width, height, fps = _probe(job)
    assert (frames, width, height, fps) == (17, 32, 64, 8.0)
    assert job.model_id and job.parameters["passes"][0]["seed"] == 7
    assert "film" in job.parameters["passes"][0]["prompt"]
    assert set(job.timings) >= {"queued", "render", "encode", "check", "total"}
    # Provenance: in the file's metadata, in the registry, and in signed content credentials.
    with job.video.open("rb") as handle:
        data = handle.read()
    path = job.video.path
    assert provenance.read_metadata(path)["job_id"] == job.pk
    assert job.provenance["c2pa"] is True and provenance.c2pa_read(path) is not None
    assert GeneratedVideo.objects.get(job=job).frame_hashes
    assert len(data) == job.video_size
    # Private: nobody else finds it.
    assert job_get(job_id=job.pk, viewer=UserFactory()) is None
    assert draft_get(job_id=job.pk, owner=user) == job


@pytest.mark.parametrize("ratio, size", [("16:9", (80, 48)), ("1:1", (48, 48))])
def test_aspect_ratios(user, sent_jobs, django_capture_on_commit_callbacks, ratio, size):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="waves", duration=1,
                  aspect_ratio=ratio, tier="standard")
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[1:3] == size


def test_long_video_is_rendered_in_segments(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="a long river", duration=5, tier="low")
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 41
    assert len(job.parameters["passes"]) > 1
    assert job.parameters["passes"][1]["mode"] == "extend"


def _png(size=(40, 40), colour=(200, 60, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_image_to_video(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="the photo comes alive",
                  mode="image", image=_png(), duration=1, tier="low")
    assert job.source_image
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 9
    assert job.parameters["passes"][0]["source_image_sha256"]


def test_remix_links_to_its_source_and_credits_its_author(user, sent_jobs, django_capture_on_commit_callbacks):
    source = PostFactory()
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="replace the orbs with mammoths",
                  mode="remix", source_post_id=source.pk, duration=1, tier="low")
    assert job.source_post_id == source.pk and job.credited == source.author
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    post = post_from_draft(author=user, job_id=job.pk, caption="Mammoths!")
    assert post.remix_of == source and post.job == job


def test_remix_of_a_post_you_cannot_see_is_refused(user, sent_jobs):
    hidden = PostFactory(state=Post.State.PENDING_REVIEW)
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="again", mode="remix", source_post_id=hidden.pk)
    assert "source_post" in error.value.message_dict
    with pytest.raises(ValidationError):
        submit(owner=user, prompt="again", mode="remix", source_post_id=999999)
    assert not GenerationJob.objects.exists() and not sent_jobs


def test_extend_continues_your_own_video(user, sent_jobs, django_capture_on_commit_callbacks):
    first = _run(_submit(django_capture_on_commit_callbacks, owner=user, prompt="a boat", duration=1, tier="low"),
                 django_capture_on_commit_callbacks, sent_jobs)
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="the boat reaches the shore",
                  mode="extend", source_job_id=first.pk, duration=1)
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 9 + 9
    with pytest.raises(ValidationError) as error:
        submit(owner=UserFactory(), prompt="mine now", mode="extend", source_job_id=first.pk)
    assert "source_job" in error.value.message_dict


def test_extensions_stop_at_sixty_seconds(user, sent_jobs, django_capture_on_commit_callbacks):
    first = _run(_submit(django_capture_on_commit_callbacks, owner=user, prompt="a boat", duration=1, tier="low"),
                 django_capture_on_commit_callbacks, sent_jobs)
    GenerationJob.objects.filter(pk=first.pk).update(video_duration=55.0)
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="more", mode="extend", source_job_id=first.pk, duration=10)
    assert "60" in str(error.value)


def test_storyboard_shots_follow_each_other(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="", mode="storyboard", tier="low",
                  shots=[{"prompt": "a seed in the ground", "duration": 1},
                         {"prompt": "the seed becomes a tree", "duration": 1}])
    assert job.duration == 2 and "seed in the ground" in job.prompt
    job = _run(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 18
    passes = job.parameters["passes"]
    assert [p["mode"] for p in passes] == ["text", "extend"]
    assert "tree" in passes[1]["prompt"]


def test_blocked_prompt_never_reaches_a_worker_and_costs_nothing(user, sent_jobs):
    with pytest.raises(ValidationError) as error:
        submit(owner=user, prompt="Emmanuel Macron dancing on a table", duration=3)
    message = str(error.value)
    assert "public_figure" in message or "public figure" in message.lower()
    assert "rule" in message and "appeal" in message
    job = GenerationJob.objects.get()
    assert job.state == "blocked" and job.duration == 3 and not sent_jobs
    assert quota_get(user).used == 0


def test_a_refused_prompt_can_be_appealed_once_and_an_upheld_appeal_queues_it(user, sent_jobs,
                                                                           django_capture_on_commit_callbacks):
    from moderation.models import Case
    from moderation.services import appeal_create, case_claim, case_decide
    from tests.moderation.test_cases import make_moderator

    with pytest.raises(ValidationError):
        submit(owner=user, prompt="Mickey Mouse eating a pizza")
    job = GenerationJob.objects.get()
    refusal = Case.objects.get(kind="held_prompt")
    assert refusal.outcome == "rejected" and refusal.decisions.get().moderator is None
    appeal = appeal_create(user=user, case=refusal, message="It is my own cartoon mouse, not theirs.")
    with pytest.raises(ValidationError):
        appeal_create(user=user, case=refusal, message="Again")
    moderator = make_moderator()
    case_claim(case=appeal, moderator=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=appeal, moderator=moderator, action="approve", note="An original character.")
    job.refresh_from_db()
    assert job.state == "queued" and job.pk in sent_jobs


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


def test_cancel_a_running_job_stops_it_and_frees_the_quota(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="a slow sunset", duration=2, tier="low")
    from generation import runner

    real_update = runner.Progress.update

    def cancel_then_update(self, **kwargs):
        GenerationJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        return real_update(self, **kwargs)

    runner.Progress.update = cancel_then_update
    try:
        assert job_run(job.pk) == GenerationJob.State.CANCELLED
    finally:
        runner.Progress.update = real_update
    job.refresh_from_db()
    assert job.state == "cancelled" and not job.video
    assert quota_get(user).used == 0
    with pytest.raises(ValidationError):
        job_cancel(job=job, user=user)


def test_a_job_runs_once_however_often_its_task_arrives(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="once", duration=1, tier="low")
    assert job_run(job.pk) == "ready"
    assert job_run(job.pk) == "skipped"
    assert GeneratedVideo.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.attempts == 1


def test_regenerate_with_the_same_seed_gives_the_same_video(user, sent_jobs, django_capture_on_commit_callbacks):
    first = _run(_submit(django_capture_on_commit_callbacks, owner=user, prompt="a lantern", duration=1,
                         tier="low", seed=11), django_capture_on_commit_callbacks, sent_jobs)
    with django_capture_on_commit_callbacks(execute=True):
        again = job_regenerate(job=first, user=user)
    again = _run(again, django_capture_on_commit_callbacks, sent_jobs)
    assert again.seed == 11
    # The same pictures, frame for frame: the registry hashes the frames before encoding (the
    # encoder's bytes may differ from run to run; what it was given does not).
    assert again.registry.frame_hashes == first.registry.frame_hashes
    assert again.parameters["passes"] == first.parameters["passes"]
    with django_capture_on_commit_callbacks(execute=True):
        other = job_regenerate(job=first, user=user, new_seed=True)
    assert other.prompt == first.prompt


def test_model_failure_becomes_a_failed_job_with_a_clear_message(user, sent_jobs, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    import torch

    from generation.backends import wan

    def out_of_memory(self, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(wan.WanBackend, "render", out_of_memory)
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="too big", duration=1)
    assert job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert "memory" in job.error and quota_get(user).used == 0


def test_posting_a_draft_passes_the_gate(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _run(_submit(django_capture_on_commit_callbacks, owner=user, prompt="fireflies", duration=1, tier="low"),
               django_capture_on_commit_callbacks, sent_jobs)
    post = post_from_draft(author=user, job_id=job.pk, caption="Summer night")
    assert post.state == Post.State.PUBLISHED and post.video and post.job == job
    # A draft flagged for review is held; someone else's draft cannot be posted.
    GenerationJob.objects.filter(pk=job.pk).update(review="review")
    held = post_from_draft(author=user, job_id=job.pk, caption="Again")
    assert held.state == Post.State.PENDING_REVIEW
    with pytest.raises(ValidationError):
        post_from_draft(author=UserFactory(), job_id=job.pk, caption="Mine")
    with pytest.raises(ValidationError) as error:
        post_from_draft(author=user, job_id=job.pk, caption="Darth Vader in person")
    assert "caption" in error.value.message_dict


class BlockEverything(MediaCheck):
    """A check that sees a protected work in every output."""

    name = "block_everything"

    def run(self, *, frames, context):
        return [Finding(check=self.name, category="copyright", rule="media:test:protected",
                        action=MediaDecision.BLOCK, frame_index=frames[0].index, time=frames[0].time)]


def test_a_blocked_output_is_kept_from_its_owner_and_can_be_appealed(user, settings, client, sent_jobs,
                                                                     django_capture_on_commit_callbacks):
    from moderation.models import Case
    from moderation.services import appeal_create, case_claim, case_decide
    from tests.moderation.test_cases import make_moderator

    settings.MODERATION_MEDIA_CHECKS = [f"{__name__}.BlockEverything"]
    job = _submit(django_capture_on_commit_callbacks, owner=user, prompt="a castle", duration=1, tier="low")
    assert job_run(job.pk) == "blocked"
    job.refresh_from_db()
    assert job.state == "blocked" and "media:test:protected" in job.error and quota_get(user).used == 0
    assert draft_get(job_id=job.pk, owner=user) is None
    client.force_login(user)
    assert client.get(f"/create/jobs/{job.pk}/video").status_code == 404
    moderator = make_moderator()
    client.force_login(moderator)
    assert client.get(f"/create/jobs/{job.pk}/video").status_code == 200
    refusal = Case.objects.get(kind="flagged_media")
    appeal = appeal_create(user=user, case=refusal, message="It is my own castle.")
    case_claim(case=appeal, moderator=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=appeal, moderator=moderator, action="approve", note="Not a protected work.")
    job.refresh_from_db()
    assert job.state == "ready" and draft_get(job_id=job.pk, owner=user) == job


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
