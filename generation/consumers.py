"""Websocket of a job's progress, for its owner's job page."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import GenerationJob
from .progress import job_status, progress_group
from .selectors import job_get

logger = logging.getLogger(__name__)

FINISHED = {str(state) for state in GenerationJob.FINISHED_STATES}

# Close codes, in the range left to applications (RFC 6455, 4000-4999), after HTTP's.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def _job_state(*, job_id: int, viewer: Any) -> dict[str, Any] | None:
    """Return the status of `viewer`'s job, or None if it is not theirs."""
    job = job_get(job_id=job_id, viewer=viewer)
    return job_status(job) if job is not None else None


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    """Send a job's progress to its owner: the row's state on connect, then every change.

    Changes come two ways: the worker's pushes over the channel layer, and a read of the row
    every POLL_INTERVAL seconds. The in-memory layer of the embedded default does not cross
    processes, so there the pushes never arrive and the reads keep the bar moving; on Redis
    the pushes arrive first and the reads find nothing new. Once the job has finished the
    consumer stops reading and leaves the socket open for the page to close.
    """

    POLL_INTERVAL = 0.5

    job_id: int
    group: str = ""
    last: dict[str, Any] | None = None
    poller: asyncio.Task | None = None
    pushes: int = 0

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.job_id = int(self.scope["url_route"]["kwargs"]["job_id"])
        # Accept, then close with a code: a refused handshake reaches the browser as a bare
        # 1006, and the page could not tell "log in again" from "not yours" from a network error.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = progress_group(self.job_id)
        # Join before reading the row, so no event falls between the read and the joining.
        await self.channel_layer.group_add(self.group, self.channel_name)
        state = await self._read()
        if state is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self._send_state(state)
        if state["state"] not in FINISHED:
            self.poller = asyncio.create_task(self._poll())

    async def disconnect(self, code: int) -> None:
        self._stop_polling()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The page sends nothing that matters; a "ping" is answered so it can check the line."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def job_progress(self, event: dict[str, Any]) -> None:
        """Forward a worker's push (`job.progress`) to the page."""
        job = dict(event.get("job") or {})
        self.pushes += 1
        if job.get("id") not in (None, self.job_id):
            return
        job["id"] = self.job_id
        queued = job.get("state") == GenerationJob.State.QUEUED
        job["queue_position"] = (self.last or {}).get("queue_position", 0) if queued else 0
        await self._send_state(job)

    async def _send_state(self, state: dict[str, Any]) -> None:
        if self.last is not None and self.last.get("state") in FINISHED:
            return  # the end was already told; nothing after it is news
        if state == self.last:
            return
        self.last = state
        await self.send_json({"type": "job.progress", "job": state})
        if state.get("state") in FINISHED:
            self._stop_polling()

    async def _read(self) -> dict[str, Any] | None:
        return await database_sync_to_async(_job_state)(job_id=self.job_id, viewer=self.user)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.POLL_INTERVAL)
            pushes = self.pushes
            try:
                state = await self._read()
            except Exception:  # a database hiccup: keep the socket, try again next tick
                logger.warning("reading job %s for its progress socket failed", self.job_id, exc_info=True)
                continue
            if state is None:  # the row is gone
                return
            if self.pushes != pushes:
                continue  # a push came in while reading: it is newer than this read
            await self._send_state(state)
            if state["state"] in FINISHED:
                return

    def _stop_polling(self) -> None:
        poller, self.poller = self.poller, None
        if poller is not None and poller is not asyncio.current_task():
            poller.cancel()
