"""The lease on a job row: which worker runs a job, and taking over from a worker that died.

A worker claims a job by writing a lease (a random token) on its row with one conditional
update, and renews it from a heartbeat thread while it works. Every later write names the
lease, so a worker that lost the job (it stalled, another took over, the job was cancelled
and closed) can no longer change it, and a job runs to its end once however often its task
is delivered. A job whose lease went stale, because its worker stopped renewing it, can be
claimed again by the next worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import GenerationJob

logger = logging.getLogger(__name__)

State = GenerationJob.State
# States in which a worker holds the job.
HELD_BY_WORKER = (State.RUNNING, State.ENCODING, State.CHECKING)


class JobLost(Exception):
    """The job's lease passed to another worker, or the job was cancelled and closed."""


class TransientError(Exception):
    """Something outside the job failed for a moment (the database, storage): try again."""


def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def job_claim(job_id: int, token: str) -> bool:
    """Take job `job_id` under `token` if it is queued or its worker's lease went stale;
    return whether it was taken."""
    now = timezone.now()
    claimable = Q(state=State.QUEUED) | Q(state__in=HELD_BY_WORKER, heartbeat_at__lt=_stale_before())
    taken = GenerationJob.objects.filter(claimable, pk=job_id, cancel_requested=False).update(
        **GenerationJob.state_fields(State.RUNNING), lease=token, heartbeat_at=now,
        attempts=F("attempts") + 1, started_at=now, error="",
    )
    return taken == 1


def lease_held(job_id: int, token: str) -> QuerySet[GenerationJob]:
    """Return job `job_id` as a queryset, empty unless `token` still holds it: every write of
    a worker goes through this, so a worker that lost the job writes nothing."""
    return GenerationJob.objects.filter(pk=job_id, lease=token, state__in=GenerationJob.ACTIVE_STATES)


def lease_finish(job_id: int, token: str, **fields: Any) -> bool:
    """Write the job's last fields and give up the lease; return False if it was lost."""
    fields.setdefault("finished_at", timezone.now())
    return bool(lease_held(job_id, token).update(lease="", **fields))


def lease_requeue(job_id: int, token: str) -> bool:
    """Put the job back in the queue and give up the lease, for another try."""
    return bool(lease_held(job_id, token).update(**GenerationJob.state_fields(State.QUEUED), lease=""))


class Heartbeat:
    """Renew the lease on a thread while the job runs, so long phases keep it."""

    def __init__(self, job_id: int, token: str) -> None:
        self.job_id, self.token = job_id, token
        self.interval = max(0.5, settings.GENERATION_LEASE_SECONDS / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                lease_held(self.job_id, self.token).update(heartbeat_at=timezone.now())
        except Exception:
            logger.warning("lease renewal of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


def jobs_recover() -> list[tuple[int, float]]:
    """Return the jobs a worker was running, each with the seconds until its lease goes stale.

    Called when a worker starts: a job whose worker died is taken over once its lease is
    stale; one whose worker is alive renews its lease, and the takeover attempt is skipped.
    """
    now = timezone.now()
    lease = settings.GENERATION_LEASE_SECONDS
    rows = GenerationJob.objects.filter(state__in=HELD_BY_WORKER).values_list("pk", "heartbeat_at")
    return [
        (pk, max(0.0, (beat - now).total_seconds() + lease) + 1.0 if beat else 0.0)
        for pk, beat in rows
    ]
