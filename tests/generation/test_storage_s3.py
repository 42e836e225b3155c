"""A real worker process (`celery worker`, the toy model) that stores its draft on a real S3
server (tests/support/s3.py), set up as a deployment is: S3_BUCKET, S3_ENDPOINT_URL and the
AWS credentials in its environment. Its owner then plays the private draft through a signed
URL, seeking with byte ranges, and downloads it under its name."""

from __future__ import annotations

import io
import shutil
import uuid

import av
import pytest
from django.test import Client
from django.urls import reverse

from generation.models import GenerationJob
from tests.factories import UserFactory
from tests.support.jobs import submit
from tests.support.s3 import http_get
from tests.support.worker import celery_worker, process_media_root, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_process_stores_its_draft_on_s3_for_its_owner_only(settings, s3_media):
    queue = f"test-s3-{uuid.uuid4().hex[:8]}"
    settings.GENERATION_QUEUE = queue
    owner = UserFactory()
    env = {
        **s3_media.worker_env(),
        "GENERATION_QUEUE": queue,
        "GENERATION_SIGNING_DIR": str(settings.GENERATION_SIGNING_DIR),
    }
    with celery_worker(queues=queue, extra_env=env) as worker:
        worker_root = process_media_root(worker["process"].pid)
        try:
            job = submit(owner=owner, prompt="a paper boat on a puddle", duration=1, tier="low")
            wait_for(
                lambda: GenerationJob.objects.get(pk=job.pk).state in GenerationJob.FINISHED_STATES,
                timeout=120, log=worker["log"],
            )
            # Nothing of it was written to the worker's own disk.
            assert not (worker_root / "drafts").exists()
        finally:
            shutil.rmtree(worker_root, ignore_errors=True)
    job.refresh_from_db()
    assert job.state == GenerationJob.State.READY, job.error
    assert job.video.name.startswith("drafts/") and job.poster.name.startswith("drafts/")
    assert s3_media.keys() == {job.video.name, job.poster.name}
    video = s3_media.read(job.video.name)
    assert len(video) == job.video_size
    with av.open(io.BytesIO(video)) as container:
        assert sum(1 for _ in container.decode(container.streams.video[0])) == job.frame_count > 0

    address = reverse("generation:job-video", args=[job.pk])
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(address).status_code == 404
    client = Client()
    client.force_login(owner)
    response = client.get(address)
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    assert http_get(response["Location"])[::2] == (200, video)
    status, headers, body = http_get(response["Location"], {"Range": "bytes=100-"})
    assert (status, body) == (206, video[100:]) and headers["Content-Range"] == f"bytes 100-{len(video) - 1}/{len(video)}"
    assert http_get(s3_media.unsigned_url(job.video.name))[0] == 403
    status, headers, body = http_get(client.get(address + "?download=1")["Location"])
    assert (status, body) == (200, video)
    assert headers["Content-Disposition"] == f'attachment; filename="reel-{job.pk}.mp4"'
    poster = client.get(reverse("generation:job-poster", args=[job.pk]))
    assert http_get(poster["Location"])[::2] == (200, s3_media.read(job.poster.name))
