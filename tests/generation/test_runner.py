"""A job run through the real toy pipeline to its draft (`generation.runner.job_run`), in every
mode and with a cameo; a run cancelled, failed, delivered twice, or blocked by its output
check; and runs cut short by storage that refuses or a database that goes away."""

from __future__ import annotations

import errno
import io
from pathlib import Path

import av
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InterfaceError, OperationalError
from PIL import Image

from cameo.models import Appearance
from feed.gate import post_from_draft
from generation import provenance, runner
from generation.lease import TransientError
from generation.models import GeneratedVideo, GenerationJob
from generation.runner import StorageFailed, job_run, transient_cause
from generation.selectors import draft_get, job_get, quota_get
from generation.services import job_cancel
from moderation.media import Finding
from moderation.media.base import MediaCheck
from moderation.media.types import Decision as MediaDecision
from tests.cameo.conftest import cameo_verified
from tests.factories import PostFactory, UserFactory
from tests.support.jobs import run_to_draft, submit, submit_and_send

pytestmark = pytest.mark.django_db(transaction=False)


def _probe(job: GenerationJob) -> tuple[int, int, int, float]:
    with job.video.open("rb") as handle, av.open(handle) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return frames, stream.codec_context.width, stream.codec_context.height, float(stream.average_rate)


def _frames(job: GenerationJob) -> list[bytes]:
    with job.video.open("rb") as handle, av.open(handle) as container:
        return [frame.to_ndarray(format="rgb24").tobytes() for frame in container.decode(video=0)]


def test_text_job_makes_a_playable_private_draft(user, sent_jobs, django_capture_on_commit_callbacks):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a red fox in the snow, wide shot",
                          duration=2, aspect_ratio="9:16", tier="low", style="film", seed=7)
    assert job.state == GenerationJob.State.QUEUED and job.seed == 7
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
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
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="waves", duration=1,
                          aspect_ratio=ratio, tier="standard")
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[1:3] == size


def test_long_video_is_rendered_in_segments(user, sent_jobs, django_capture_on_commit_callbacks):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a long river", duration=5, tier="low")
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 41
    assert len(job.parameters["passes"]) > 1
    assert job.parameters["passes"][1]["mode"] == "extend"


def _png(size=(40, 40), colour=(200, 60, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_image_to_video(user, sent_jobs, django_capture_on_commit_callbacks):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="the photo comes alive",
                          mode="image", image=_png(), duration=1, tier="low")
    assert job.source_image
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 9
    assert job.parameters["passes"][0]["source_image_sha256"]


def test_remix_links_to_its_source_and_credits_its_author(user, sent_jobs, django_capture_on_commit_callbacks):
    source = PostFactory()
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="replace the orbs with mammoths",
                          mode="remix", source_post_id=source.pk, duration=1, tier="low")
    assert job.source_post_id == source.pk and job.credited == source.author
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    post = post_from_draft(author=user, job_id=job.pk, caption="Mammoths!")
    assert post.remix_of == source and post.job == job


def test_extend_continues_your_own_video(user, sent_jobs, django_capture_on_commit_callbacks):
    first = run_to_draft(submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a boat", duration=1, tier="low"),
                         django_capture_on_commit_callbacks, sent_jobs)
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="the boat reaches the shore",
                          mode="extend", source_job_id=first.pk, duration=1)
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 9 + 9
    with pytest.raises(ValidationError) as error:
        submit(owner=UserFactory(), prompt="mine now", mode="extend", source_job_id=first.pk)
    assert "source_job" in error.value.message_dict


def test_storyboard_shots_follow_each_other(user, sent_jobs, django_capture_on_commit_callbacks):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="", mode="storyboard", tier="low",
                          shots=[{"prompt": "a seed in the ground", "duration": 1},
                                 {"prompt": "the seed becomes a tree", "duration": 1}])
    assert job.duration == 2 and "seed in the ground" in job.prompt
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)
    assert _probe(job)[0] == 18
    passes = job.parameters["passes"]
    assert [p["mode"] for p in passes] == ["text", "extend"]
    assert "tree" in passes[1]["prompt"]


def test_a_cameo_job_is_rendered_from_the_reference_photo(alice, bob, moderator, sent_jobs,
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


# --- Cancelled, failed, delivered twice


def test_cancel_a_running_job_stops_it_and_frees_the_quota(user, sent_jobs, django_capture_on_commit_callbacks):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a slow sunset", duration=2, tier="low")
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
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="once", duration=1, tier="low")
    assert job_run(job.pk) == "ready"
    assert job_run(job.pk) == "skipped"
    assert GeneratedVideo.objects.filter(job=job).count() == 1
    job.refresh_from_db()
    assert job.attempts == 1


def test_model_failure_becomes_a_failed_job_with_a_clear_message(user, sent_jobs, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    import torch

    from generation.backends import wan

    def out_of_memory(self, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(wan.WanBackend, "render", out_of_memory)
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="too big", duration=1)
    assert job_run(job.pk) == "failed"
    job.refresh_from_db()
    assert "memory" in job.error and quota_get(user).used == 0


# --- A blocked output


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
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a castle", duration=1, tier="low")
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


# --- Outages: storage that refuses, a database that goes away


class FullDisk(FileSystemStorage):
    """A disk with no byte left: the file is made, its first write fails, as on a full disk."""

    def _save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        raise OSError(errno.ENOSPC, "No space left on device", str(path))


class PosterRefused(FileSystemStorage):
    """A storage that takes the video, then fails on the poster (an unreachable disk)."""

    def _save(self, name, content):
        if name.endswith(".jpg"):
            raise OSError(errno.EIO, "Input/output error", name)
        return super()._save(name, content)


def _stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize("storage", ["FullDisk", "PosterRefused"])
def test_a_storage_failure_is_said_as_such_retried_then_failed_and_leaves_no_file(
    user, settings, sent_jobs, django_capture_on_commit_callbacks, storage
):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a tide pool", duration=1, tier="low")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": f"{__name__}.{storage}"}}
    settings.GENERATION_MAX_ATTEMPTS = 2
    with pytest.raises(StorageFailed):
        job_run(job.pk)
    job.refresh_from_db()
    assert (job.state, job.error, job.lease) == ("queued", "The video could not be stored; it will be tried again.", "")
    assert _stored_files(settings) == []  # neither the empty file of a full disk nor the video alone
    assert job_run(job.pk) == "failed"  # the last try
    job.refresh_from_db()
    assert job.error == str(StorageFailed.final_message) and "model" not in job.error
    assert (job.attempts, quota_get(user).used, _stored_files(settings)) == (2, 0, [])


@pytest.mark.django_db(transaction=True)
def test_a_try_cut_by_a_database_outage_goes_back_to_the_queue_and_the_retry_finishes_it(
    user, sent_jobs, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a tide pool", duration=1, tier="low")
    real_update = runner.Progress.update

    def outage(self, **kwargs):
        if kwargs.get("phase") == runner.Phase.ENCODING:
            raise OperationalError("terminating connection due to administrator command")
        return real_update(self, **kwargs)

    monkeypatch.setattr(runner.Progress, "update", outage)
    with pytest.raises(TransientError):
        job_run(job.pk, token="try-1")
    job.refresh_from_db()
    assert (job.state, job.lease, job.attempts) == ("queued", "", 1)
    assert job.error == str(TransientError.retry_message) and "model" not in job.error
    monkeypatch.setattr(runner.Progress, "update", real_update)
    assert job_run(job.pk, token="try-1") == "ready"
    assert GeneratedVideo.objects.filter(job=job).count() == 1


@pytest.mark.django_db(transaction=True)
def test_when_the_job_cannot_even_be_put_back_its_retry_takes_its_own_lease_back(
    user, sent_jobs, monkeypatch, django_capture_on_commit_callbacks
):
    """The database is still away when the try gives up: the row still says `running` under a
    fresh lease, which the retry (same token) opens; it is not another attempt."""
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a tide pool", duration=1, tier="low")
    real_update = runner.Progress.update

    def outage(self, **kwargs):
        if kwargs.get("phase") == runner.Phase.ENCODING:
            raise OperationalError("the database system is shutting down")
        return real_update(self, **kwargs)

    def requeue_down(job_id, token, **kwargs):
        raise TransientError("database unavailable")

    monkeypatch.setattr(runner.Progress, "update", outage)
    monkeypatch.setattr(runner, "lease_requeue", requeue_down)
    with pytest.raises(TransientError):
        job_run(job.pk, token="try-1")
    job.refresh_from_db()
    assert (job.state, job.lease) == ("running", "try-1")
    monkeypatch.undo()
    assert job_run(job.pk, token="try-1") == "ready"
    job.refresh_from_db()
    assert job.attempts == 1 and GeneratedVideo.objects.filter(job=job).count() == 1


@pytest.mark.django_db(transaction=True)
def test_files_stored_by_a_delivery_the_database_cut_short_are_deleted_by_the_retry(
    user, settings, sent_jobs, monkeypatch, django_capture_on_commit_callbacks
):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a tide pool", duration=1, tier="low")
    real_create, real_discard = GeneratedVideo.objects.create, runner._leftovers_discard

    def create_down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def discard_down(job_id, names):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(GeneratedVideo.objects, "create", create_down)
    monkeypatch.setattr(runner, "_leftovers_discard", discard_down)
    with pytest.raises(TransientError) as interrupted:
        job_run(job.pk, token="try-1")
    # Whether the delivery committed could not be known: its files wait for the retry.
    leftovers = interrupted.value.leftovers
    assert len(leftovers) == 2 and all((Path(settings.MEDIA_ROOT) / name).is_file() for name in leftovers)
    monkeypatch.setattr(GeneratedVideo.objects, "create", real_create)
    monkeypatch.setattr(runner, "_leftovers_discard", real_discard)
    assert job_run(job.pk, token="try-1", leftovers=leftovers) == "ready"
    job.refresh_from_db()
    assert sorted(path.relative_to(settings.MEDIA_ROOT).as_posix() for path in _stored_files(settings)) == sorted(
        [job.video.name, job.poster.name]
    )


@pytest.mark.parametrize(("error", "kind"), [
    (OSError(errno.ENOSPC, "No space left on device"), StorageFailed),
    (OSError(errno.EROFS, "Read-only file system"), StorageFailed),
    (OperationalError("server closed the connection unexpectedly"), TransientError),
    (InterfaceError("connection already closed"), TransientError),
    (OSError(errno.ENOENT, "No such file or directory"), None),
    (ValueError("H.264 in yuv420p needs even frame sides."), None),
])
def test_what_counts_as_a_moment_s_outage(error, kind):
    found = transient_cause(error)
    assert (type(found) if found is not None else None) is kind
    try:  # the same, as the cause of another error
        raise RuntimeError("the encoder stopped") from error
    except RuntimeError as wrapped:
        found = transient_cause(wrapped)
    assert (type(found) if found is not None else None) is kind


def test_an_encoder_that_finds_the_disk_full_is_a_storage_failure(tmp_path):
    import av.error

    error = av.error.OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "plain.mp4"))
    assert isinstance(transient_cause(error), StorageFailed)
