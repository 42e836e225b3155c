"""The generation worker's tasks, on the `gpu` queue.

Workers take one job at a time (prefetch 1), acknowledge it only when it is done (acks late,
redelivered if the worker dies), and keep their pipeline loaded between jobs. The job row's
lease makes a job run to its end once, however many times its message arrives.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from .lease import TransientError, jobs_recover
from .runner import job_run
from .services import JOB_RENDER_TASK

logger = logging.getLogger(__name__)


@shared_task(
    name=JOB_RENDER_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=5,
    soft_time_limit=settings.GENERATION_TIME_LIMIT,
    time_limit=settings.GENERATION_TIME_LIMIT + 60,
)
def job_render_task(self: Any, job_id: int) -> str:
    """Render job `job_id` (a no-op if it already ran or another worker holds it)."""
    try:
        return job_run(job_id)
    except (TransientError, DatabaseError, InterfaceError) as exc:
        # A moment's outage: the job went back to the queue; try again with backoff.
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries)) from exc


@shared_task(name="generation.jobs_recover", ignore_result=True)
def jobs_recover_task() -> list[int]:
    """Queue a takeover of every job a worker was running, for when its lease goes stale."""
    found = jobs_recover()
    for job_id, delay in found:
        job_render_task.apply_async(args=[job_id], queue=settings.GENERATION_QUEUE, countdown=delay)
    if found:
        logger.info("takeover queued for jobs %s", [job_id for job_id, _delay in found])
    return [job_id for job_id, _delay in found]


@worker_ready.connect(dispatch_uid="generation.recover_on_start")
def _recover_on_start(sender: Any = None, **kwargs: Any) -> None:
    """A worker that starts picks up what a dead one left behind."""
    try:
        jobs_recover_task.apply_async(queue=settings.GENERATION_QUEUE)
    except Exception:
        logger.warning("could not queue the recovery of stale jobs", exc_info=True)
