"""The sweep: the job row is the source of truth, and this makes the queue agree with it.

A job's message can vanish (Redis restarted without persistence, or never took it: the broker
was down when the job was submitted), and a job's worker can die without a word (SIGKILL, an
out-of-memory kill, its machine gone). Neither is visible from the message queue; both are
visible from the rows. Celery beat runs `jobs_sweep` every GENERATION_SWEEP_SECONDS on
GENERATION_SWEEP_QUEUE, a queue the render workers do not serve, so it never waits behind a
render; it

* puts back in the queue, and sends again, every job whose lease went stale (its worker
  stopped renewing it for GENERATION_LEASE_SECONDS): a job tried GENERATION_MAX_ATTEMPTS times
  fails instead, and costs nothing, and a job cancelled meanwhile is closed;
* sends every queued job whose message could not be sent;
* sends again the queued jobs waiting for longer than GENERATION_REQUEUE_SECONDS when the render
  queue holds fewer messages than there are queued jobs: some messages vanished. Which ones
  cannot be known, so all the overdue jobs are sent; a job whose first message was still there
  runs once anyway (the second delivery finds it taken and is skipped). Comparing the counts
  keeps a long but healthy queue from being doubled at every sweep.

Every change is one conditional update of a row, so two sweeps at once (two beats by mistake)
do no harm. This module is on the web side: it never loads the worker's code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import ChannelError

from config.celery_app import app as celery_app

from .lease import HELD_BY_WORKER, lease_expire
from .models import GenerationJob
from .services import job_send

logger = logging.getLogger(__name__)

State = GenerationJob.State


@dataclasses.dataclass
class SweepReport:
    """What one sweep did, job ids by outcome."""

    requeued: list[int] = dataclasses.field(default_factory=list)  # a dead worker's job, queued again
    failed: list[int] = dataclasses.field(default_factory=list)  # out of attempts: failed, not charged
    cancelled: list[int] = dataclasses.field(default_factory=list)  # cancelled while its worker was dead
    sent: list[int] = dataclasses.field(default_factory=list)  # a queued job's message, (re)sent
    # A send failed: the broker is down, and the rest waits for the next sweep.
    broker_down: bool = False

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled or self.sent or self.broker_down)


def queue_depth(queue: str) -> int | None:
    """Return how many messages wait in `queue` on the broker, 0 if it does not exist, or
    None if the broker cannot say (it is down)."""
    try:
        with celery_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            channel = connection.default_channel
            try:
                return int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError:  # no such queue: nothing was ever sent there, or it was lost
                return 0
    except Exception:
        logger.warning("could not count the messages in queue %s", queue, exc_info=True)
        return None


def _send(job_id: int, report: SweepReport) -> None:
    """Send job `job_id` if it is still queued, recording when. Once a send has failed, the
    broker is down: the job is left to the next sweep, recorded as not sent."""
    queued = GenerationJob.objects.filter(pk=job_id, state=State.QUEUED, cancel_requested=False)
    if report.broker_down:
        queued.update(sent_at=None)
        return
    if not queued.update(sent_at=timezone.now()):
        return
    try:
        job_send(job_id)
    except Exception:
        logger.warning("job %s: could not send its task; the next sweep tries again", job_id, exc_info=True)
        report.broker_down = True
        queued.update(sent_at=None)
        return
    report.sent.append(job_id)


def jobs_sweep() -> SweepReport:
    """Make the queue agree with the job rows (see the module's docstring); return what changed."""
    report = SweepReport()
    now = timezone.now()
    stale = (
        GenerationJob.objects.filter(state__in=HELD_BY_WORKER)
        .filter(Q(heartbeat_at__lt=now - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS))
                | Q(heartbeat_at__isnull=True))
        .values_list("pk", "lease")
    )
    for job_id, lease in list(stale):
        outcome = lease_expire(job_id, lease)
        if outcome == State.QUEUED:
            report.requeued.append(job_id)
            _send(job_id, report)
        elif outcome == State.FAILED:
            report.failed.append(job_id)
        elif outcome == State.CANCELLED:
            report.cancelled.append(job_id)

    queued = GenerationJob.objects.filter(state=State.QUEUED, cancel_requested=False)
    for job_id in queued.filter(sent_at__isnull=True).order_by("created_at", "pk").values_list("pk", flat=True):
        _send(job_id, report)
    overdue = list(
        queued.filter(sent_at__lt=now - dt.timedelta(seconds=settings.GENERATION_REQUEUE_SECONDS))
        .order_by("created_at", "pk").values_list("pk", flat=True)
    )
    if overdue:
        depth = queue_depth(settings.GENERATION_QUEUE)
        waiting = queued.filter(sent_at__isnull=False).count()
        if depth is None or depth < waiting:
            logger.warning("queue %s holds %s messages for %s queued jobs: sending %s overdue jobs again",
                           settings.GENERATION_QUEUE, depth, waiting, len(overdue))
            for job_id in overdue:
                _send(job_id, report)
    if report:
        logger.info("sweep: %s", report)
    return report
