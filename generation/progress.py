"""A job's progress: what the row says, how the worker writes it, how listeners hear of it.

The job row is the source of truth: the worker writes progress to it (at most every
GENERATION_PROGRESS_INTERVAL seconds) and pushes the same snapshot to the job's group on
the channel layer. The page's websocket forwards pushes and re-reads the row, and a JSON URL
serves the row to pages whose socket failed; all of them describe a job with `job_status`.

This module is what the web side of generation imports of the worker's world: it pulls in
neither the model nor the encoder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.utils import timezone

from .lease import JobLost, database_outage, lease_held
from .models import GenerationJob
from .selectors import queue_position

logger = logging.getLogger(__name__)

State = GenerationJob.State
Phase = GenerationJob.Phase

# How the progress bar splits between phases: rendering is most of the work.
RENDER_SHARE, ENCODE_AT, CHECK_AT = 0.88, 0.9, 0.95


class Cancelled(Exception):
    """The owner (or the system) asked the job to stop."""


def progress_group(job_id: int) -> str:
    """Return the channel-layer group that hears about job `job_id`."""
    return f"generation.job.{job_id}"


def job_snapshot(job: GenerationJob | dict[str, Any]) -> dict[str, Any]:
    """Return what a progress event says about a job (a row, or the fields just written)."""
    def get(key: str) -> Any:
        return job.get(key) if isinstance(job, dict) else getattr(job, key, None)

    return {
        "id": get("id") or get("pk"),
        "state": get("state"),
        "phase": get("phase"),
        "progress": round(float(get("progress") or 0.0), 4),
        "step": get("step"),
        "step_total": get("step_total"),
        "error": get("error") or "",
    }


def job_status(job: GenerationJob) -> dict[str, Any]:
    """Return a job's snapshot with its place in the queue: what pages and sockets show."""
    return {**job_snapshot(job), "queue_position": queue_position(job)}


def progress_push(job_id: int, payload: dict[str, Any]) -> None:
    """Tell the job's listeners over the channel layer; a layer that is down is not an error."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(progress_group(job_id), {"type": "job.progress", "job": payload})
    except Exception as exc:  # the row is the source of truth; listeners poll it too
        logger.warning("could not push progress of job %s: %r", job_id, exc)


def progress_push_row(job_id: int) -> None:
    """Push the job's row as it is now (after its last write)."""
    job = GenerationJob.objects.filter(pk=job_id).first()
    if job is not None:
        progress_push(job_id, job_snapshot(job))


class Progress:
    """Write a running job's progress to its row under the worker's lease, push it to the
    browser, and notice cancellation."""

    def __init__(self, job_id: int, token: str, listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.job_id, self.token, self.listener = job_id, token, listener
        self.interval = float(settings.GENERATION_PROGRESS_INTERVAL)
        self._last = 0.0
        self.state: str = State.RUNNING

    def update(self, *, phase: str, progress: float, step: int = 0, step_total: int = 0,
               state: str | None = None, force: bool = False) -> None:
        """Record `phase` and `progress` (0-1); skipped if the last write was too recent,
        unless `force`. Raises JobLost if the lease is gone, Cancelled if a stop was asked,
        TransientError if the database is unreachable."""
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.state = state or self.state
        fields = {
            **GenerationJob.state_fields(self.state, phase), "progress": min(1.0, progress),
            "step": step, "step_total": step_total, "heartbeat_at": timezone.now(),
        }
        with database_outage():
            if not lease_held(self.job_id, self.token).update(**fields):
                raise JobLost(self.job_id)
            if GenerationJob.objects.filter(pk=self.job_id, cancel_requested=True).exists():
                raise Cancelled
        snapshot = job_snapshot({"id": self.job_id, **fields})
        progress_push(self.job_id, snapshot)
        if self.listener is not None:
            self.listener(snapshot)
