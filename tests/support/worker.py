"""Start real processes on the test database: a Celery worker on the configured broker, and
Daphne serving the site over HTTP and websockets."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """Return a URL for the database the tests are using right now."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


def process_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a process that shares the tests' database and settings."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
        **(extra_env or {}),
    }


def process_media_root(pid: int) -> Path:
    """Return where a process started here stores media.

    config.settings.test names MEDIA_ROOT after the process id and ignores the MEDIA_ROOT
    of the environment, so a worker's files land in a folder of its own, not the test's.
    """
    return ROOT / "var" / f"test-media-{pid}"


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def celery_worker(
    *,
    queues: str | None = None,
    extra_env: dict[str, str] | None = None,
    pool: str = "solo",
    beat: Path | None = None,
) -> Iterator[dict]:
    """Run a worker on a queue of its own for the duration of the block; yield its details.

    `pool` is Celery's (`prefork` runs the task in a child process that Celery replaces if it
    dies); `beat`, a file for Celery beat's schedule, runs beat inside the worker.
    """
    queue = queues or f"test-{uuid.uuid4().hex[:8]}"
    env = process_env(extra_env)
    name = f"{queue.split(',')[0]}-{uuid.uuid4().hex[:6]}"
    log = open(Path(settings.MEDIA_ROOT).parent / f"worker-{name}.log", "w+")  # noqa: SIM115
    command = [
        sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", f"--pool={pool}",
        "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-Q", queue, "--loglevel=INFO", "-n", f"{name}@%h",
    ]
    if beat is not None:
        command += ["--beat", "--schedule", str(beat)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield {"queue": queue, "process": process, "log": log}
    finally:
        _stop(process)
        log.close()


def worker_ready(worker: dict, *, timeout: float = 60.0) -> None:
    """Wait until `worker` consumes its queues."""

    def ready() -> bool:
        if worker["process"].poll() is not None:
            raise AssertionError(f"the worker exited with {worker['process'].returncode}:\n{log_text(worker)[-4000:]}")
        return " ready." in log_text(worker)

    wait_for(ready, timeout=timeout, log=worker["log"])


def log_text(process: dict) -> str:
    """Return what a process started here has logged so far."""
    process["log"].flush()
    return Path(process["log"].name).read_text(errors="replace")


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def asgi_server(*, extra_env: dict[str, str] | None = None, timeout: float = 30.0) -> Iterator[dict]:
    """Serve config.asgi (HTTP and websockets) with Daphne on a free port, on the test
    database, for the duration of the block; yield its details once it accepts connections."""
    port = free_port()
    log = open(Path(settings.MEDIA_ROOT).parent / f"daphne-{port}.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=process_env(extra_env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:

        def accepting() -> bool:
            with socket.socket() as probe:
                return process.poll() is not None or probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for(accepting, timeout=timeout, log=log)
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"Daphne exited with {process.returncode}:\n{log.read()[-4000:]}")
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "process": process, "log": log}
    finally:
        _stop(process)
        log.close()


def unacked_redeliver(*, queue: str) -> int:
    """Put back on `queue` the messages that a killed worker took and never acknowledged, as
    the Redis broker does once their visibility timeout (an hour) has passed; return how many.

    Only Redis keeps such messages: the filesystem broker forgets a message once it is taken,
    and there this returns 0.
    """
    from config.celery_app import app

    with app.connection_for_write() as connection:
        if connection.transport.driver_type != "redis":
            return 0
        channel = connection.default_channel
        client = channel.client
        tags = [
            tag
            for tag, payload in client.hgetall(channel.unacked_key).items()
            if json.loads(payload)[2] == queue  # [message, exchange, routing key]
        ]
        for tag in tags:
            channel.qos.restore_by_tag(tag, client)
        return len(tags)


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.2, log=None) -> None:
    """Wait until `predicate()` is true, or fail with the worker's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    text = ""
    if log is not None:
        log.flush()
        log.seek(0)
        text = log.read()[-4000:]
    raise AssertionError(f"timed out after {timeout}s; worker log:\n{text}")
