"""Jobs on real worker processes: progress over a real websocket, and faults: Redis restarted
empty, PostgreSQL restarted or stopped, a pool process or a whole worker SIGKILLed, a disk
full or read-only.

Each test starts `celery -A config.celery_app worker` on a queue of its own, on the test
database and the configured broker (Redis in CI, the filesystem broker locally), and submits
through the REST API as a person would. The websocket is Daphne serving config.asgi in a
process of its own; its progress arrives over the Redis channel layer in CI, and through the
consumer's reads of the row where the channel layer cannot cross processes. A fault test
breaks a server of its own (tests/support/faults.py), never the machine's shared ones, and
prints the recovery time it measured.
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
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import psycopg
import pytest
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generation.backends import frames_for_duration
from generation.models import GeneratedVideo, GenerationJob
from generation.runner import StorageFailed
from generation.selectors import quota_get
from generation.tasks import job_render_task
from tests.factories import UserFactory
from tests.support.faults import postgres_server, redis_server, small_disk
from tests.support.worker import (
    ROOT,
    asgi_server,
    celery_worker,
    log_text,
    process_env,
    process_media_root,
    unacked_redeliver,
    wait_for,
    worker_ready,
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


# --- Faults: servers that fail, workers that die, storage that refuses ---------------------
#
# Each test breaks one real part under running and queued jobs, then checks that every job
# ends `ready` exactly once (one registry entry, one draft file, no other file) or `failed`
# with the right cause, and prints how long the recovery took.


def _fault_env(queue: str, **extra: str) -> dict[str, str]:
    """A worker's environment for the fault tests: a fast sweep, progress written often."""
    return _worker_env(queue, GENERATION_PROGRESS_INTERVAL="0.1", **extra)


def _recovery(capsys, what: str, seconds: float) -> None:
    """Print a measured recovery time, whatever pytest captures."""
    with capsys.disabled():
        print(f"\n[recovery] {what}: {seconds:.1f} s")


def _rows(*job_ids: int) -> dict[int, GenerationJob]:
    return {row.pk: row for row in GenerationJob.objects.filter(pk__in=job_ids)}


def _running(job_id: int) -> bool:
    row = GenerationJob.objects.get(pk=job_id)
    return row.state == State.RUNNING and row.step >= 1


def _ready_once(job_ids: list[int], media_roots: list[Path]) -> None:
    """Every job is ready, made once: one registry entry and one draft file each, and no
    other file (no copy from an interrupted try, no empty file from a full disk)."""
    rows = _rows(*job_ids)
    assert {row.state for row in rows.values()} == {State.READY}, {
        pk: (row.state, row.error) for pk, row in rows.items()
    }
    assert all(row.error == "" and row.lease == "" for row in rows.values())
    registry = Counter(GeneratedVideo.objects.filter(job_id__in=job_ids).values_list("job_id", flat=True))
    assert registry == Counter(job_ids), registry
    files = sorted(
        path.relative_to(root).as_posix()
        for root in media_roots
        for path in (root / "drafts").rglob("*")
        if path.is_file()
    )
    expected = sorted(name for row in rows.values() for name in (row.video.name, row.poster.name))
    assert files == expected, (files, expected)
    assert all((root / name).stat().st_size > 0 for root in media_roots for name in files if (root / name).exists())


def _submit_by_api(web: dict, token: str, **fields: Any) -> int:
    """Submit a job through the API of a Daphne of the test's own; return its id."""
    request = urllib.request.Request(
        f"{web['url']}/api/v1/generations/",
        data=json.dumps({"prompt": "a paper boat on a puddle", "aspect_ratio": "9:16", "tier": "low",
                         "duration": 1, **fields}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert response.status == 201 and body["state"] == State.QUEUED, body
    return body["id"]


def test_jobs_queued_and_running_survive_a_redis_restart_without_persistence(
    settings, worker_media, tmp_path, capsys
):
    """Redis is killed while one job renders and three wait, a job is submitted while it is
    down, and it comes back empty: the sweep sends every queued job again."""
    with redis_server() as redis:
        queue, sweeps = f"test-gen-{uuid.uuid4().hex[:8]}", f"test-sweep-{uuid.uuid4().hex[:8]}"
        env = _fault_env(
            queue, CELERY_BROKER_URL=redis.url, REDIS_URL=redis.url, GENERATION_SWEEP_QUEUE=sweeps,
            GENERATION_SWEEP_SECONDS="1", GENERATION_REQUEUE_SECONDS="3",
        )
        web_env = {"CELERY_BROKER_URL": redis.url, "GENERATION_QUEUE": queue, "GENERATION_STEPS": "120"}
        token = Token.objects.create(user=UserFactory()).key
        with (
            celery_worker(queues=queue, extra_env=env) as render,
            celery_worker(queues=sweeps, extra_env=env, beat=tmp_path / "beat") as sweeper,
            asgi_server(extra_env=web_env) as web,
        ):
            worker_ready(render)
            worker_ready(sweeper)
            job_ids = [_submit_by_api(web, token) for _ in range(4)]
            wait_for(lambda: _running(job_ids[0]), timeout=60, interval=0.05, log=render["log"])
            redis.kill()
            # Submitted while Redis is down: committed and queued, its message never sent.
            job_ids.append(_submit_by_api(web, token))
            assert GenerationJob.objects.get(pk=job_ids[-1]).sent_at is None
            time.sleep(1)
            redis.start()
            restarted = time.monotonic()
            wait_for(lambda: all(row.state in FINISHED for row in _rows(*job_ids).values()), timeout=120,
                     log=sweeper["log"])
            recovered = time.monotonic() - restarted
            assert "sent" in log_text(sweeper)
    _recovery(capsys, f"Redis restarted empty, {len(job_ids)} jobs all ready", recovered)
    _ready_once(job_ids, [Path(settings.MEDIA_ROOT)])
    assert [row.attempts for row in _rows(*job_ids).values()] == [1] * len(job_ids)


# Submits jobs in a process of its own, for a database the test process does not use.
SUBMIT = """
import json, sys, uuid
import django
django.setup()
from tests.factories import UserFactory
from tests.support.jobs import submit
owner = UserFactory(handle=f"p{uuid.uuid4().hex[:12]}")
print(json.dumps([submit(owner=owner, prompt="a paper boat on a puddle", duration=1, aspect_ratio="9:16",
                         tier="low").pk for _ in range(int(sys.argv[1]))]))
"""


def test_jobs_survive_a_postgresql_restart_and_a_ten_second_stop(worker_queue, tmp_path, capsys):
    """PostgreSQL restarts (`pg_ctl restart -m fast`) under one running job, then stops for 10
    seconds under another: the worker's writes fail, the task retries with its lease, and
    each job finishes once."""
    with postgres_server() as postgres:
        media = tmp_path / "pg-media"
        env = process_env(_fault_env(worker_queue, DATABASE_URL=postgres.url, MEDIA_ROOT=str(media),
                                     GENERATION_STEPS="400"))
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=180)

        def submit(count: int) -> list[int]:
            done = subprocess.run([sys.executable, "-c", SUBMIT, str(count)], cwd=ROOT, env=env, timeout=120,
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-3000:]
            return json.loads(done.stdout.strip().splitlines()[-1])

        def rows() -> dict[int, tuple]:
            try:
                with psycopg.connect(postgres.url, connect_timeout=2) as db:
                    return {row[0]: row[1:] for row in db.execute(
                        "SELECT id, state, step, attempts, error, lease, video, poster FROM generation_generationjob"
                    )}
            except psycopg.OperationalError:
                return {}

        def running(job_id: int) -> bool:
            row = rows().get(job_id)
            return row is not None and row[0] == State.RUNNING and row[1] >= 1

        def finished(job_id: int) -> bool:
            row = rows().get(job_id)
            return row is not None and row[0] in FINISHED

        with celery_worker(queues=worker_queue, extra_env=env) as worker:
            worker_ready(worker)
            (first,) = submit(1)
            wait_for(lambda: running(first), timeout=60, interval=0.05, log=worker["log"])
            postgres.restart()
            restarted = time.monotonic()
            wait_for(lambda: finished(first), timeout=90, log=worker["log"])
            after_restart = time.monotonic() - restarted

            (second,) = submit(1)
            wait_for(lambda: running(second), timeout=60, interval=0.05, log=worker["log"])
            postgres.stop()
            time.sleep(10)
            postgres.start()
            started = time.monotonic()
            wait_for(lambda: finished(second), timeout=120, log=worker["log"])
            after_stop = time.monotonic() - started
        with psycopg.connect(postgres.url) as db:
            registry = Counter(job for (job,) in db.execute("SELECT job_id FROM generation_generatedvideo"))
        final = rows()
    _recovery(capsys, "PostgreSQL restarted mid-job, the job ready after the restart", after_restart)
    _recovery(capsys, "PostgreSQL stopped 10 s mid-job, the job ready after it started again", after_stop)
    assert {job: final[job][0] for job in (first, second)} == {first: State.READY, second: State.READY}, final
    assert registry == Counter([first, second])
    stored = sorted(path.relative_to(media).as_posix() for path in (media / "drafts").rglob("*") if path.is_file())
    assert stored == sorted(name for job in (first, second) for name in final[job][5:7])


def test_a_pool_process_killed_mid_render_is_replaced_and_its_job_taken_over_at_once(
    settings, worker_queue, worker_media, capsys
):
    """Celery replaces a SIGKILLed pool process and gives its task back: the new process sees
    that the lease belongs to a dead process and takes the job over without waiting for the
    lease to go stale (no sweep runs in this test)."""
    settings.GENERATION_STEPS = 400
    client = _logged_in(UserFactory())
    with celery_worker(queues=worker_queue, extra_env=_fault_env(worker_queue), pool="prefork") as worker:
        worker_ready(worker)
        job_id = _submit(client, duration=1)
        wait_for(lambda: _running(job_id), timeout=60, interval=0.05, log=worker["log"])
        holder = int(GenerationJob.objects.get(pk=job_id).lease_owner.split("/")[2])
        assert holder != worker["process"].pid  # the pool's child runs the job
        os.kill(holder, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: GenerationJob.objects.get(pk=job_id).attempts == 2, timeout=60, interval=0.05,
                 log=worker["log"])
        restarted = time.monotonic() - killed
        wait_for(lambda: GenerationJob.objects.get(pk=job_id).state in FINISHED, timeout=60, log=worker["log"])
        recovered = time.monotonic() - killed
        assert "taking over" in log_text(worker)
    _recovery(capsys, "pool process SIGKILLed, its job running again", restarted)
    _recovery(capsys, "pool process SIGKILLed, its job ready", recovered)
    assert restarted < settings.GENERATION_LEASE_SECONDS
    _ready_once([job_id], [Path(settings.MEDIA_ROOT)])


def test_a_job_whose_whole_worker_is_killed_is_taken_over_by_another_and_finishes_once(
    settings, worker_queue, worker_media, tmp_path, capsys
):
    """A whole worker is SIGKILLed mid-render, on the default lease, heartbeat and sweep:
    its job restarts on the other worker within 30 seconds, once; the dead worker's message,
    given back late, is skipped."""
    settings.GENERATION_STEPS = 400
    sweeps = f"test-sweep-{uuid.uuid4().hex[:8]}"
    env = _fault_env(worker_queue, GENERATION_SWEEP_QUEUE=sweeps)
    client = _logged_in(UserFactory())
    seen: list[str] = []

    def job() -> GenerationJob:
        row = GenerationJob.objects.get(pk=job_id)
        seen.append(row.state)
        return row

    with (
        celery_worker(queues=worker_queue, extra_env=env) as first,
        celery_worker(queues=worker_queue, extra_env=env) as second,
        celery_worker(queues=sweeps, extra_env=env, beat=tmp_path / "beat") as sweeper,
    ):
        for worker in (first, second, sweeper):
            worker_ready(worker)
        job_id = _submit(client, duration=1)
        wait_for(lambda: (row := job()).state == State.RUNNING and row.step >= 1, timeout=60, interval=0.05,
                 log=first["log"])
        holder = int(job().lease_owner.split("/")[2])
        dead, alive = (first, second) if holder == first["process"].pid else (second, first)
        assert holder == dead["process"].pid
        os.killpg(dead["process"].pid, signal.SIGKILL)
        dead["process"].wait(timeout=10)
        killed = time.monotonic()
        wait_for(lambda: job().attempts == 2, timeout=45, interval=0.1, log=sweeper["log"])
        restarted = time.monotonic() - killed
        wait_for(lambda: job().state in FINISHED, timeout=60, log=alive["log"])
        recovered = time.monotonic() - killed
        done = job()
        assert done.state == State.READY, (done.state, done.error)
        # The killed worker's message, given back late (Redis keeps it unacknowledged), or a
        # copy of it (the filesystem broker dropped it when taken), is skipped.
        wait_for(lambda: _renders_settled(alive), timeout=20, log=alive["log"])
        skipped = _log_text(alive).count("'skipped'")
        if unacked_redeliver(queue=worker_queue) == 0:
            job_render_task.apply_async(args=[job_id], queue=worker_queue)
        wait_for(lambda: _log_text(alive).count("'skipped'") == skipped + 1, timeout=20, log=alive["log"])
        again = job()
        assert (again.state, again.finished_at, again.video.name) == (done.state, done.finished_at, done.video.name)
    _recovery(capsys, "whole worker SIGKILLed, its job running again elsewhere", restarted)
    _recovery(capsys, "whole worker SIGKILLed, its job ready", recovered)
    assert restarted <= 30
    assert State.FAILED not in seen and done.attempts == 2
    _ready_once([job_id], [Path(settings.MEDIA_ROOT)])
    assert _frames_in(_stored(done.video.name, worker_media)) == done.frame_count > 0


def test_storage_full_or_read_only_mid_encode_is_retried_and_said_as_such(
    settings, worker_queue, worker_media, capsys
):
    """The disk of the media fills up under one job, and turns read-only under another: each
    try that cannot store its video is retried with a storage message; the first job is stored
    once there is room, the second fails as a storage failure after its tries. No partial or
    empty file stays behind."""
    settings.GENERATION_STEPS = 300
    client = _logged_in(UserFactory())
    with small_disk(megabytes=8) as disk:
        media = disk.path / "media"
        (media / "drafts").mkdir(parents=True)
        env = _fault_env(worker_queue, MEDIA_ROOT=str(media), GENERATION_MAX_ATTEMPTS="2")
        with celery_worker(queues=worker_queue, extra_env=env) as worker:
            worker_ready(worker)
            full = _submit(client, duration=1)
            wait_for(lambda: _running(full), timeout=60, interval=0.05, log=worker["log"])
            disk.fill()
            wait_for(lambda: GenerationJob.objects.get(pk=full).error == str(StorageFailed.retry_message),
                     timeout=60, interval=0.05, log=worker["log"])
            assert not [path for path in (media / "drafts").rglob("*") if path.is_file()]
            disk.free()
            freed = time.monotonic()
            wait_for(lambda: GenerationJob.objects.get(pk=full).state in FINISHED, timeout=60, log=worker["log"])
            recovered = time.monotonic() - freed

            read_only = _submit(client, duration=1)
            wait_for(lambda: _running(read_only), timeout=60, interval=0.05, log=worker["log"])
            disk.read_only()
            try:
                wait_for(lambda: GenerationJob.objects.get(pk=read_only).state in FINISHED, timeout=90,
                         log=worker["log"])
            finally:
                disk.writable()
        _recovery(capsys, "disk full mid-encode, the job ready once there was room", recovered)
        _ready_once([full], [media])
        assert GenerationJob.objects.get(pk=full).attempts == 2
        failed = GenerationJob.objects.get(pk=read_only)
        assert (failed.state, failed.error, failed.attempts) == (
            State.FAILED, str(StorageFailed.final_message), 2
        )
        assert not failed.video and quota_get(failed.owner).used == 1  # the failed one is free
