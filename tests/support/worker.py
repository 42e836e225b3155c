"""Start a real Celery worker process on the test database and the configured broker."""

from __future__ import annotations

import contextlib
import os
import signal
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


@contextlib.contextmanager
def celery_worker(*, queues: str | None = None, extra_env: dict[str, str] | None = None) -> Iterator[dict]:
    """Run a worker on a queue of its own for the duration of the block; yield its details."""
    queue = queues or f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
        **(extra_env or {}),
    }
    log = open(Path(settings.MEDIA_ROOT).parent / f"worker-{queue}.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config.celery_app", "worker", "--pool=solo",
         "--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-Q", queue, "--loglevel=INFO", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield {"queue": queue, "process": process, "log": log}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


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
