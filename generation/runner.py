"""Run one generation job from its row to its draft: claim, render, watermark and encode
while moderation checks the frames, then deliver (or block) the result.

The pieces live in their own modules: the lease in `lease`, progress in `progress`, the
passes in `render`, the watermark, encoder and output checks in `output`. This module puts
them in order and decides what each failure means for the job.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import override

from config.files import files_delete_on_commit
from moderation.checks import evidence_from_verdicts, refusal_for
from moderation.enums import CaseKind, Decision
from moderation.media import MediaVerdict
from moderation.services import case_open, refusal_record

from .backends import RenderCancelled, RenderError, VideoBackend
from .lease import (
    DATABASE_DOWN,
    Heartbeat,
    JobLost,
    TransientError,
    connection_drop,
    database_outage,
    job_claim,
    lease_finish,
    lease_requeue,
)
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
    token: str | None = None,
    leftovers: list[str] | None = None,
    backend: VideoBackend | None = None,
    on_claimed: Callable[[], None] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Run job `job_id` to its end and return its final state, or "skipped" if it was not ours.

    `token` continues a try that an outage interrupted (see `lease.job_claim`), and
    `leftovers` names the files its delivery may have stored. Raises TransientError after
    putting the job back in the queue when something outside it failed for a moment (the
    database, storage), so the task can retry it with the same token.
    """
    token = token or secrets.token_hex(16)
    with database_outage():
        if leftovers:
            _leftovers_discard(job_id, leftovers)
        if not job_claim(job_id, token):
            return SKIPPED
        job = GenerationJob.objects.select_related("owner").get(pk=job_id)
    if on_claimed is not None:
        on_claimed()
    progress = Progress(job_id, token, on_progress)
    timings: dict[str, float] = {}
    queued_for = (job.started_at - job.created_at).total_seconds() if job.started_at else 0.0
    timings["queued"] = round(max(0.0, queued_for), 3)
    started = time.perf_counter()
    state: str
    with (
        Heartbeat(job_id, token),
        tempfile.TemporaryDirectory(prefix=f"job-{job_id}-", ignore_cleanup_errors=True) as tmp,
    ):
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
        except Exception as exc:
            interruption = transient_cause(exc)
            if interruption is not None:
                state = _job_interrupted(job, token, interruption, timings, cause=exc)
            else:
                logger.exception("job %s failed", job_id)
                lease_finish(job_id, token, **GenerationJob.state_fields(State.FAILED),
                             error=failure_message(exc), timings=timings)
                state = State.FAILED
    progress_push_row(job_id)
    return state


def _job_interrupted(
    job: GenerationJob, token: str, exc: TransientError, timings: dict[str, float], *, cause: BaseException
) -> str:
    """Put a job that an outage interrupted back in the queue and raise `exc` for the task to
    retry it; fail it, and charge nothing, once it has been tried GENERATION_MAX_ATTEMPTS times.

    If the database is still away, the job keeps its lease: the retry, which carries the
    token, takes it back, and if the retry never comes the lease goes stale for the sweep.
    """
    logger.warning("job %s: interrupted (%s); attempt %s of %s", job.pk, exc, job.attempts,
                   settings.GENERATION_MAX_ATTEMPTS, exc_info=cause)
    if job.attempts >= settings.GENERATION_MAX_ATTEMPTS:
        try:
            lease_finish(job.pk, token, **GenerationJob.state_fields(State.FAILED), error=str(exc.final_message),
                         timings=timings)
        except TransientError as again:
            raise again from cause
        return State.FAILED
    try:
        lease_requeue(job.pk, token, error=str(exc.retry_message))
    except TransientError:
        logger.warning("job %s: could not put it back in the queue; the retry takes it back", job.pk)
    progress_push_row_quietly(job.pk)
    if exc is cause:
        raise exc
    raise exc from cause


def progress_push_row_quietly(job_id: int) -> None:
    """Tell the job's listeners what its row says now, if the database answers."""
    with contextlib.suppress(Exception):
        progress_push_row(job_id)


class StorageFailed(TransientError):
    """The video or its poster could not be written (a full disk, a read-only or unreachable
    storage): said as such to the creator, and tried again."""

    retry_message = _lazy("The video could not be stored; it will be tried again.")
    final_message = _lazy("The video could not be stored, even after several tries. Nothing was charged; try again later.")


# What a full, read-only or failing disk (or network file system) answers.
STORAGE_ERRNOS = frozenset({
    errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM, errno.ESTALE,
    errno.ETIMEDOUT, errno.ENOLCK,
})


def transient_cause(exc: BaseException) -> TransientError | None:
    """Return the TransientError that `exc` is, or was caused by, or stands for (a lost
    database connection, a full or read-only disk); None if `exc` is the job's own failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TransientError):
            return current
        if isinstance(current, DATABASE_DOWN):
            connection_drop()
            return TransientError(f"database unavailable: {current}")
        if isinstance(current, OSError) and current.errno in STORAGE_ERRNOS:
            return StorageFailed(str(current))
        current = current.__cause__ or current.__context__
    return None


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
    if isinstance(exc, SoftTimeLimitExceeded):
        return _("The video took too long to make. Nothing was charged; try a shorter video.")
    return _("The video model failed (%(kind)s). Nothing was charged; try again.") % {"kind": type(exc).__name__}


def _store(storage: Storage, name: str, content: File) -> str:
    """Save `content` as `name` and return the name stored. If the storage fails, remove what
    it wrote (a full disk leaves a partial or empty file behind) and raise StorageFailed."""
    try:
        return storage.save(name, content)
    except Exception as exc:
        with contextlib.suppress(Exception):
            if storage.exists(name):
                storage.delete(name)
        raise StorageFailed(f"could not store {name}: {exc!r}") from exc


def _files_discard(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete the stored file %s", name)


def _leftovers_discard(job_id: int, names: list[str]) -> None:
    """Delete the files a delivery interrupted by a database outage stored, unless the job
    points at them after all (its last write did commit)."""
    job = GenerationJob.objects.filter(pk=job_id).only("video", "poster").first()
    kept = {job.video.name, job.poster.name} if job is not None else set()
    storage = GenerationJob._meta.get_field("video").storage
    _files_discard(storage, [name for name in names if name not in kept])


def job_deliver(
    job: GenerationJob, token: str, *, encoded: Encoded, records: list[dict[str, Any]], verdict: MediaVerdict,
    timings: dict[str, float],
) -> str:
    """Store the draft and its provenance, or block it, as moderation's verdict says.

    A blocked video is kept privately for the moderators who may hear an appeal, never
    shown to its owner; a video to review is a draft that waits for a moderator to be posted.
    """
    storage = job.video.storage
    stored: list[str] = []
    try:
        return _job_deliver(job, token, storage=storage, stored=stored, encoded=encoded, records=records,
                            verdict=verdict, timings=timings)
    except BaseException as exc:
        # Nothing stored may stay behind a delivery that did not happen. If the database is
        # away, whether the delivery committed cannot be known yet: the retry decides.
        if stored:
            try:
                with database_outage():
                    _leftovers_discard(job.pk, stored)
            except TransientError as outage:
                raise TransientError(str(outage), leftovers=stored) from exc
        raise


def _job_deliver(
    job: GenerationJob, token: str, *, storage: Storage, stored: list[str], encoded: Encoded,
    records: list[dict[str, Any]], verdict: MediaVerdict, timings: dict[str, float],
) -> str:
    with open(encoded.path, "rb") as handle:
        video_name = _store(storage, job.video.field.generate_filename(job, "video.mp4"), File(handle))
    stored.append(video_name)
    poster_name = _store(storage, job.poster.field.generate_filename(job, "poster.jpg"), ContentFile(encoded.poster))
    stored.append(poster_name)
    review = {Decision.BLOCK: Review.BLOCK, Decision.REVIEW: Review.REVIEW}.get(verdict.decision, Review.ALLOW)
    outcome: dict[str, Any] = GenerationJob.state_fields(State.READY)
    if review == Review.BLOCK:
        with override(getattr(job.owner, "language", None) or None):
            message = refusal_for(verdict, what=_("This video")) or _("A moderator must look at this video.")
        outcome = {**GenerationJob.state_fields(State.BLOCKED), "error": message}
    provenance = encoded.provenance()
    with database_outage(), transaction.atomic():
        delivered = lease_finish(
            job.pk, token, **outcome, review=review, video=video_name, poster=poster_name,
            video_duration=encoded.info.duration, video_size=encoded.path.stat().st_size,
            frame_count=encoded.info.frame_count, provenance=provenance, output_verdict=verdict.as_dict(),
            parameters={**(job.parameters or {}), "passes": records}, model_id=encoded.manifest.model_id,
            model_version=encoded.manifest.model_version, timings=timings, progress=1.0,
        )
        if not delivered:
            stored.clear()  # deleted once this transaction, which changed nothing, ends
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
