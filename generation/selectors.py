"""Reads in generation: a person's jobs and drafts, the queue, the allowance, the sources of
a new job, and a draft as the feed posts it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from moderation.checks import recorded_categories

from .models import GenerationJob
from .sources import POST, PostSource, remix_sources


def _id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e400)
        return None


def job_get(*, job_id: Any, viewer: User | AnonymousUser | None) -> GenerationJob | None:
    """Return job `job_id` if `viewer` owns it (drafts are private), else None."""
    job_id = _id(job_id)
    if job_id is None or not isinstance(viewer, User):
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


# --- The daily allowance


@dataclass(frozen=True)
class Quota:
    """How many videos someone made in the last 24 hours, out of how many."""

    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def quota_used(user: User, *, now: dt.datetime | None = None) -> int:
    """Return how many jobs `user` was charged for in the last 24 hours."""
    since = (now or timezone.now()) - dt.timedelta(days=1)
    return (
        GenerationJob.objects.filter(owner=user, created_at__gte=since)
        .exclude(state__in=GenerationJob.FREE_STATES)
        .count()
    )


def quota_get(user: User) -> Quota:
    """Return `user`'s allowance for the next 24 hours."""
    return Quota(used=quota_used(user), limit=int(settings.GENERATION_DAILY_QUOTA))


# --- Sources of a new job


def post_source_get(*, post_id: Any, viewer: User) -> PostSource:
    """Return the post a remix would start from, or raise ValidationError if it cannot."""
    source_id = _id(post_id)
    if source_id is None:
        raise ValidationError({"source_post": [_("Choose the video to remix.")]})
    resolve = remix_sources.get(POST)
    source = resolve(post_id=source_id, viewer=viewer) if resolve is not None else None
    if source is None:
        raise ValidationError({"source_post": [_("This video does not exist or you cannot see it.")]})
    return source


def own_draft_get(*, job_id: Any, owner: User, field: str) -> GenerationJob:
    """Return `owner`'s ready draft `job_id` to continue, or raise ValidationError on `field`."""
    draft_id = _id(job_id)
    if draft_id is None:
        raise ValidationError({field: [_("Choose one of your videos.")]})
    job = GenerationJob.objects.filter(pk=draft_id, deleted_at__isnull=True).first()
    if job is None or job.owner_id != owner.pk:
        raise ValidationError({field: [_("You can only continue your own videos.")]})
    if job.state != GenerationJob.State.READY or not job.video:
        raise ValidationError({field: [_("This video is not ready yet.")]})
    return job


# --- What a post is made from


@dataclass(frozen=True)
class DraftForPost:
    """A draft as the feed posts it: its files, its shape, and what moderation said of it."""

    job_id: int
    video: FieldFile
    poster: FieldFile
    duration: float
    width: int
    height: int
    source_post_id: int | None
    # The output was not cleared when it was made: the post waits for a moderator.
    needs_review: bool
    # Moderation's verdict on the output frames, as recorded, and the categories it named.
    verdict: dict[str, Any]
    categories: list[str]


def draft_for_post(*, job_id: Any, owner: User) -> DraftForPost | None:
    """Return `owner`'s draft `job_id` as the feed posts it, or None if it is not theirs or not ready."""
    job = draft_get(job_id=job_id, owner=owner)
    if job is None:
        return None
    return DraftForPost(
        job_id=job.pk, video=job.video, poster=job.poster, duration=job.video_duration,
        width=job.width, height=job.height, source_post_id=job.source_post_id,
        needs_review=job.review != GenerationJob.Review.ALLOW,
        verdict=dict(job.output_verdict or {}), categories=recorded_categories(job.output_verdict),
    )
