"""Jobs on real worker processes: progress over a real websocket, takeover after a SIGKILL.

Each test starts `celery -A config.celery_app worker` on a queue of its own, on the test
database and the configured broker (Redis in CI, the filesystem broker locally), and submits
through the REST API as a person would. The websocket is Daphne serving config.asgi in a
process of its own; its progress arrives over the Redis channel layer in CI, and through the
consumer's reads of the row where the channel layer cannot cross processes.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from generation.backends import frames_for_duration
from generation.models import GeneratedVideo, GenerationJob
from generation.tasks import job_render_task
from tests.factories import UserFactory
from tests.support.worker import (
    asgi_server,
    celery_worker,
    process_media_root,
    unacked_redeliver,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

State = GenerationJob.State
FINISHED = {str(state) for state in GenerationJob.FINISHED_STATES}
# The order a job goes through its states on the way to ready.
STATE_ORDER = [State.QUEUED, State.RUNNING, State.ENCODING, State.CHECKING, State.READY]


# --- A websocket client ----------------------------------------------------------------------


class WebSocketClosed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"websocket closed with code {code}")
        self.code = code


class WebSocket:
    """A minimal RFC 6455 client, enough to follow a consumer's JSON events over TCP."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, url: str, *, origin: str, cookie: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WebSocketClosed(None)
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.decode("latin-1").split("\r\n")
        assert status.split(" ")[1] == "101", f"handshake refused: {status}"
        headers = {
            name.strip().lower(): value.strip()
            for name, value in (line.split(":", 1) for line in lines)
        }
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()  # noqa: S324
        assert headers.get("sec-websocket-accept") == accept

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebSocketClosed(None)
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive_json(self, *, timeout: float) -> Any:
        """Return the next text message, decoded; raise TimeoutError or WebSocketClosed."""
        self.sock.settimeout(max(0.01, timeout))
        message = b""
        while True:
            first, second = self._read(2)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            payload = self._read(length)  # a server never masks its frames
            if opcode == 0x8:
                raise WebSocketClosed(
                    struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                )
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send(0x8, struct.pack("!H", 1000))
        self.sock.close()


# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture
def worker_queue(settings) -> str:
    """Send generation work to a queue of this test's own."""
    queue = f"test-gen-{uuid.uuid4().hex[:8]}"
    settings.GENERATION_QUEUE = queue
    return queue


@pytest.fixture
def worker_media() -> Iterator[list[Path]]:
    """Collect the media folders of the workers a test starts; remove them after the test."""
    roots: list[Path] = []
    yield roots
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)


def _worker_env(queue: str, **extra: str) -> dict[str, str]:
    return {
        "GENERATION_QUEUE": queue,
        "GENERATION_SIGNING_DIR": str(django_settings.GENERATION_SIGNING_DIR),
        **extra,
    }


def _logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _submit(client: APIClient, **fields: Any) -> int:
    response = client.post(
        "/api/v1/generations/",
        {
            "prompt": "a paper boat on a puddle, close-up",
            "aspect_ratio": "9:16",
            "tier": "low",
            **fields,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["state"] == State.QUEUED
    return response.json()["id"]


def _session_cookie(client: APIClient) -> str:
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def _frames_in(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _frame in container.decode(container.streams.video[0]))


def _drafts(*roots: Path) -> list[Path]:
    return sorted(path for root in roots for path in (root / "drafts").glob("*.mp4"))


def _stored(name: str, worker_roots: list[Path]) -> Path:
    """Return the file a worker stored as `name`: in the test's media folder, or in the
    worker's own when the test settings gave it one (see process_media_root)."""
    for root in [Path(django_settings.MEDIA_ROOT), *worker_roots]:
        if (root / name).is_file():
            return root / name
    raise AssertionError(f"{name} is in none of {worker_roots}")


def _log_text(worker: dict) -> str:
    worker["log"].flush()
    return Path(worker["log"].name).read_text()


def _renders_settled(worker: dict) -> bool:
    """Return whether the worker finished every render it received (none waits or runs)."""
    text = _log_text(worker)
    received = len(re.findall(r"Task generation\.job_render\[[\w-]+\] received", text))
    finished = len(
        re.findall(r"Task generation\.job_render\[[\w-]+\] (succeeded|failed|retry)", text)
    )
    return received == finished


# --- Tests -----------------------------------------------------------------------------------


def test_a_submitted_job_streams_its_progress_over_a_real_websocket_until_ready(
    settings, worker_queue, worker_media
):
    settings.GENERATION_STEPS = 4
    client = _logged_in(UserFactory())
    with (
        celery_worker(
            queues=worker_queue,
            extra_env=_worker_env(worker_queue, GENERATION_PROGRESS_INTERVAL="0"),
        ) as worker,
        asgi_server() as server,
    ):
        worker_media.append(process_media_root(worker["process"].pid))
        job_id = _submit(client, duration=2)
        socket_url = f"ws://127.0.0.1:{server['port']}/ws/generation/jobs/{job_id}/"
        ws = WebSocket(socket_url, origin=server["url"], cookie=_session_cookie(client))
        events: list[dict] = []
        deadline = time.monotonic() + 60
        try:
            while not events or events[-1]["state"] not in FINISHED:
                try:
                    message = ws.receive_json(timeout=deadline - time.monotonic())
                except (TimeoutError, WebSocketClosed) as exc:
                    raise AssertionError(
                        f"{exc!r} after {events}\n--- worker log:\n{_log_text(worker)[-2000:]}"
                        f"\n--- Daphne log:\n{_log_text(server)[-3000:]}"
                    ) from exc
                assert message["type"] == "job.progress", message
                events.append(message["job"])
        finally:
            ws.close()
        # Someone else's session is refused the same job.
        ws = WebSocket(
            socket_url, origin=server["url"], cookie=_session_cookie(_logged_in(UserFactory()))
        )
        try:
            with pytest.raises(WebSocketClosed) as refused:
                ws.receive_json(timeout=10)
            assert refused.value.code == 4403
        finally:
            ws.close()

    assert all(event["id"] == job_id for event in events)
    states = [event["state"] for event in events]
    assert set(states) <= set(STATE_ORDER), states  # never failed
    ranks = [STATE_ORDER.index(state) for state in states]
    assert ranks == sorted(ranks), states
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress), progress
    phases = {event["phase"] for event in events}
    assert "rendering" in phases and phases & {"encoding", "checking"}, phases
    assert events[-1]["state"] == State.READY and events[-1]["progress"] == 1.0

    response = client.get(f"/api/v1/generations/{job_id}/")
    assert response.status_code == 200
    draft = response.json()
    expected = frames_for_duration(seconds=2, fps=settings.GENERATION_FPS)
    assert draft["state"] == State.READY and draft["video_url"], draft
    assert draft["frame_count"] == expected and draft["attempts"] == 1
    path = _stored(GenerationJob.objects.get(pk=job_id).video.name, worker_media)
    assert path.stat().st_size == draft["video_size"]
    assert _frames_in(path) == expected


def test_a_job_whose_worker_is_killed_is_taken_over_and_finishes_once(
    settings, worker_queue, worker_media
):
    settings.GENERATION_LEASE_SECONDS = 2
    # Hundreds of steps of the toy model: a render of a few seconds, to kill in the middle of.
    settings.GENERATION_STEPS = 500
    env = _worker_env(worker_queue, GENERATION_LEASE_SECONDS="2")
    client = _logged_in(UserFactory())
    seen: list[str] = []

    def job() -> GenerationJob:
        row = GenerationJob.objects.get(pk=job_id)
        seen.append(row.state)
        return row

    with celery_worker(queues=worker_queue, extra_env=env) as first:
        worker_media.append(process_media_root(first["process"].pid))
        job_id = _submit(client, duration=2)
        wait_for(
            lambda: (row := job()).state == State.RUNNING and row.step >= 1,
            timeout=45,
            interval=0.05,
            log=first["log"],
        )
        os.killpg(first["process"].pid, signal.SIGKILL)
        first["process"].wait(timeout=10)
    killed = job()
    assert (
        killed.state == State.RUNNING and killed.attempts == 1 and killed.step < killed.step_total
    )

    with celery_worker(queues=worker_queue, extra_env=env) as second:
        worker_media.append(process_media_root(second["process"].pid))
        wait_for(lambda: job().state in FINISHED, timeout=60, log=second["log"])
        done = job()
        assert done.state == State.READY, (done.state, done.error)
        # The killed worker's message, given back late (Redis keeps it unacknowledged), or a
        # copy of it (the filesystem broker dropped it when taken), is skipped: the job is
        # ready, and nothing about it changes.
        wait_for(lambda: _renders_settled(second), timeout=20, log=second["log"])
        skipped = _log_text(second).count("'skipped'")
        given_back = unacked_redeliver(queue=worker_queue)
        if settings.CELERY_BROKER_URL.startswith("redis"):
            assert given_back == 1
        else:
            job_render_task.apply_async(args=[job_id], queue=worker_queue)
        wait_for(
            lambda: _log_text(second).count("'skipped'") == skipped + 1,
            timeout=20,
            log=second["log"],
        )
        time.sleep(1)
        again = job()
        assert (again.state, again.finished_at, again.video.name) == (
            done.state,
            done.finished_at,
            done.video.name,
        )

    assert State.FAILED not in seen
    assert done.attempts == 2 and done.error == ""
    assert GeneratedVideo.objects.filter(job_id=job_id).count() == 1
    drafts = _drafts(Path(settings.MEDIA_ROOT), *worker_media)
    assert [path.name for path in drafts] == [Path(done.video.name).name]
    assert _frames_in(_stored(done.video.name, worker_media)) == done.frame_count > 0
