"""The generation worker's tasks: renders on the `gpu` queue, the sweep on another.

Render workers take one job at a time (prefetch 1), acknowledge it only when it is done (acks
late; given back to the queue if the pool process running it dies), and keep their pipeline
loaded between jobs. The job row's lease makes a job run to its end once, however many times
its message arrives. Celery beat sends the sweep (`generation.sweep`) every
GENERATION_SWEEP_SECONDS to GENERATION_SWEEP_QUEUE, which the render workers do not serve.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from celery import shared_task
from django.conf import settings

from .lease import TransientError
from .runner import job_run
from .services import JOB_RENDER_TASK
from .sweep import jobs_sweep

logger = logging.getLogger(__name__)

JOBS_SWEEP_TASK = "generation.jobs_sweep"


@shared_task(
    name=JOB_RENDER_TASK,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=12,
    soft_time_limit=settings.GENERATION_TIME_LIMIT,
    time_limit=settings.GENERATION_TIME_LIMIT + 60,
)
def job_render_task(self: Any, job_id: int, lease: str = "", leftovers: list[str] | None = None) -> str:
    """Render job `job_id` (a no-op if it already ran or another worker holds it).

    `lease` and `leftovers` are set by a retry: the token of the try it continues and the
    files that try may have left. Once the retries are spent (a long outage), the sweep takes
    over: the row still says the job is queued or held by a lease that is going stale.
    """
    token = lease or secrets.token_hex(16)
    try:
        return job_run(job_id, token=token, leftovers=leftovers)
    except TransientError as exc:
        # A moment's outage: the job went back to the queue (or keeps a lease that this
        # retry's token still opens); try again with backoff.
        delay = min(settings.GENERATION_RETRY_MAX_SECONDS, 2 ** self.request.retries)
        raise self.retry(
            exc=exc, countdown=delay, kwargs={"job_id": job_id, "lease": token, "leftovers": exc.leftovers}
        ) from exc


@shared_task(name=JOBS_SWEEP_TASK, ignore_result=True)
def jobs_sweep_task() -> dict[str, Any]:
    """Put dead workers' jobs back in the queue and send the messages that vanished."""
    report = jobs_sweep()
    return {
        "requeued": report.requeued, "failed": report.failed, "cancelled": report.cancelled, "sent": report.sent,
    }
