"""Run one generation job from its row to its draft: claim, render, watermark and encode
while moderation checks the frames, then deliver (or block) the result.

The pieces live in their own modules: the lease in `lease`, progress in `progress`, the
passes in `render`, the watermark, encoder and output checks in `output`. This module puts
them in order and decides what each failure means for the job.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from config.files import files_delete_on_commit
from moderation.checks import evidence_from_verdicts, refusal_for
from moderation.enums import CaseKind, Decision
from moderation.media import MediaVerdict
from moderation.services import case_open, refusal_record

from .backends import RenderCancelled, RenderError, VideoBackend
from .lease import Heartbeat, JobLost, TransientError, job_claim, lease_finish, lease_requeue
from .models import GeneratedVideo, GenerationJob
from .output import Encoded, film_encode, film_watermark, output_check
from .progress import CHECK_AT, ENCODE_AT, Cancelled, Phase, Progress, progress_push_row
from .render import job_render

logger = logging.getLogger(__name__)

State = GenerationJob.State
Review = GenerationJob.Review

SKIPPED = "skipped"


def job_run(
    job_id: int,
    *,
    backend: VideoBackend | None = None,
    on_claimed: Callable[[], None] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Run job `job_id` to its end and return its final state, or "skipped" if it was not ours.

    Raises TransientError after putting the job back in the queue when something outside it
    failed for a moment, so the task can retry it.
    """
    token = secrets.token_hex(16)
    if not job_claim(job_id, token):
        return SKIPPED
    if on_claimed is not None:
        on_claimed()
    job = GenerationJob.objects.select_related("owner").get(pk=job_id)
    progress = Progress(job_id, token, on_progress)
    timings: dict[str, float] = {}
    queued_for = (job.started_at - job.created_at).total_seconds() if job.started_at else 0.0
    timings["queued"] = round(max(0.0, queued_for), 3)
    started = time.perf_counter()
    with Heartbeat(job_id, token), tempfile.TemporaryDirectory(prefix=f"job-{job_id}-") as tmp:
        try:
            progress.update(phase=Phase.RENDERING, progress=0.0, step=0, step_total=job.steps, force=True)
            mark = time.perf_counter()
            frames, records = job_render(job, progress, backend=backend)
            timings["render"] = round(time.perf_counter() - mark, 3)

            progress.update(phase=Phase.ENCODING, progress=ENCODE_AT, state=State.ENCODING, force=True)
            # Moderation looks at the rendered frames on a thread of its own while this one
            # watermarks and encodes them: both spend their time in native code. The frames
            # it sees lack only the platform's own mark, so it is stricter if anything.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"check-{job_id}") as pool:
                checking = pool.submit(_timed_check, job, frames)
                mark = time.perf_counter()
                marked = film_watermark(job, frames)
                encoded = film_encode(job, marked, records, Path(tmp))
                timings["encode"] = round(time.perf_counter() - mark, 3)
                progress.update(phase=Phase.CHECKING, progress=CHECK_AT, state=State.CHECKING, force=True)
                verdict, timings["check"] = checking.result()
            timings["total"] = round(time.perf_counter() - started, 3)
            return job_deliver(job, token, encoded=encoded, records=records, verdict=verdict, timings=timings)
        except (Cancelled, RenderCancelled):
            lease_finish(job_id, token, **GenerationJob.state_fields(State.CANCELLED))
            state = State.CANCELLED
        except JobLost:
            logger.warning("job %s: lease lost, another worker has it", job_id)
            return SKIPPED
        except TransientError:
            lease_requeue(job_id, token)
            raise
        except Exception as exc:
            logger.exception("job %s failed", job_id)
            lease_finish(job_id, token, **GenerationJob.state_fields(State.FAILED), error=failure_message(exc),
                         timings=timings)
            state = State.FAILED
    progress_push_row(job_id)
    return state


def _timed_check(job: GenerationJob, frames: list[np.ndarray]) -> tuple[MediaVerdict, float]:
    """Run output_check on a thread of its own, and close that thread's database connection."""
    start = time.perf_counter()
    try:
        return output_check(job, frames), round(time.perf_counter() - start, 3)
    finally:
        connection.close()


def failure_message(exc: BaseException) -> str:
    """Return what the creator reads when a job fails: the cause in words, not a traceback."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return _("The video model ran out of memory. Try a lower resolution or a shorter video.")
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if isinstance(exc, RenderError):
        return exc.user_message
    return _("The video model failed (%(kind)s). Nothing was charged; try again.") % {"kind": type(exc).__name__}


def job_deliver(
    job: GenerationJob, token: str, *, encoded: Encoded, records: list[dict[str, Any]], verdict: MediaVerdict,
    timings: dict[str, float],
) -> str:
    """Store the draft and its provenance, or block it, as moderation's verdict says.

    A blocked video is kept privately for the moderators who may hear an appeal, never
    shown to its owner; a video to review is a draft that waits for a moderator to be posted.
    """
    storage = job.video.storage
    with open(encoded.path, "rb") as handle:
        video_name = storage.save(job.video.field.generate_filename(job, "video.mp4"), File(handle))
    poster_name = storage.save(job.poster.field.generate_filename(job, "poster.jpg"), ContentFile(encoded.poster))
    review = {Decision.BLOCK: Review.BLOCK, Decision.REVIEW: Review.REVIEW}.get(verdict.decision, Review.ALLOW)
    outcome: dict[str, Any] = GenerationJob.state_fields(State.READY)
    if review == Review.BLOCK:
        with override(getattr(job.owner, "language", None) or None):
            message = refusal_for(verdict, what=_("This video")) or _("A moderator must look at this video.")
        outcome = {**GenerationJob.state_fields(State.BLOCKED), "error": message}
    provenance = encoded.provenance()
    with transaction.atomic():
        delivered = lease_finish(
            job.pk, token, **outcome, review=review, video=video_name, poster=poster_name,
            video_duration=encoded.info.duration, video_size=encoded.path.stat().st_size,
            frame_count=encoded.info.frame_count, provenance=provenance, output_verdict=verdict.as_dict(),
            parameters={**(job.parameters or {}), "passes": records}, model_id=encoded.manifest.model_id,
            model_version=encoded.manifest.model_version, timings=timings, progress=1.0,
        )
        if not delivered:
            files_delete_on_commit([(storage, video_name), (storage, poster_name)])
            return SKIPPED
        GeneratedVideo.objects.create(
            job_id=job.pk, creator_id=job.owner_id, content_sha256=encoded.manifest.content_sha256,
            frame_hashes=[h.as_dict() for h in encoded.hashes], manifest=provenance,
        )
        if review != Review.ALLOW:
            fresh = GenerationJob.objects.get(pk=job.pk)
            evidence, categories = evidence_from_verdicts(media=verdict)
            evidence["prompt"] = job.prompt
            if review == Review.BLOCK:
                refusal_record(kind=CaseKind.FLAGGED_MEDIA, subject=fresh, owner=job.owner, evidence=evidence,
                               categories=categories, note=outcome["error"])
            else:
                case_open(kind=CaseKind.FLAGGED_MEDIA, subject=fresh, evidence=evidence, categories=categories,
                          owner=job.owner)
    progress_push_row(job.pk)
    return str(outcome["state"])
