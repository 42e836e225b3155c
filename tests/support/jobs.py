"""Submitting a job the way every caller does: check the request, then create the job; and,
in the tests that render, running it here to its draft."""

from __future__ import annotations

from typing import Any

from generation.models import GenerationJob
from generation.runner import job_run
from generation.services import job_create
from generation.submission import job_check


def submit(*, enqueue: bool = True, **request: Any) -> GenerationJob:
    """Check `request` and create its job (queued once committed, unless `enqueue` is false)."""
    return job_create(request=job_check(**request), enqueue=enqueue)


def submit_and_send(django_capture_on_commit_callbacks, **kwargs) -> GenerationJob:
    """Submit and run what waits for the commit: the job is sent (see `sent_jobs`)."""
    with django_capture_on_commit_callbacks(execute=True):
        return submit(**kwargs)


def run_to_draft(job: GenerationJob, django_capture_on_commit_callbacks, sent_jobs) -> GenerationJob:
    """Run the sent `job` here, through the toy pipeline, and return it ready: a draft."""
    assert job.pk in sent_jobs
    assert job_run(job.pk) == GenerationJob.State.READY, GenerationJob.objects.get(pk=job.pk).error
    return GenerationJob.objects.get(pk=job.pk)
