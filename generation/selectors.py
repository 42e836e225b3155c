"""Reads in generation: a person's jobs and drafts, the queue, the registry."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import User

from .models import GenerationJob


def _id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def job_get(*, job_id: Any, viewer: User | None) -> GenerationJob | None:
    """Return job `job_id` if `viewer` owns it (drafts are private), else None."""
    job_id = _id(job_id)
    if job_id is None or viewer is None or not viewer.is_authenticated:
        return None
    return GenerationJob.objects.filter(pk=job_id, owner=viewer).select_related("owner").first()


def draft_get(*, job_id: Any, owner: User) -> GenerationJob | None:
    """Return `owner`'s ready, undeleted draft `job_id`, or None."""
    job = job_get(job_id=job_id, viewer=owner)
    return job if job is not None and job.is_draft else None


def jobs_of(*, owner: User, states: list[str] | None = None, limit: int = 50) -> QuerySet[GenerationJob]:
    """Return `owner`'s jobs, newest first, without deleted drafts."""
    jobs = GenerationJob.objects.filter(owner=owner, deleted_at__isnull=True)
    if states:
        jobs = jobs.filter(state__in=states)
    return jobs.order_by("-created_at", "-id")[:limit]


def queue_position(job: GenerationJob) -> int:
    """Return how many queued jobs are ahead of `job` (0 when it is next or not queued)."""
    if job.state != GenerationJob.State.QUEUED:
        return 0
    return GenerationJob.objects.filter(
        state=GenerationJob.State.QUEUED, created_at__lt=job.created_at
    ).count()
