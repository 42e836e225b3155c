"""The production web server: gunicorn supervising uvicorn workers (config.gunicorn, config.workers).

Started here by deploy/serve (the gunicorn command deploy/compose.yaml runs), on the test database: it serves
pages, the API and Channels' websockets, refuses oversized bodies, advertises no server,
and replaces a worker that dies without dropping the site.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.factories import UserFactory
from tests.support.worker import ROOT, free_port, process_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()} if path.exists() else set()


@contextlib.contextmanager
def gunicorn(workers: int = 2) -> Iterator[dict]:
    port = free_port()
    log = open(Path(settings.MEDIA_ROOT).parent / f"gunicorn-{port}.log", "w+")  # noqa: SIM115
    env = process_env({"PYTHON": sys.executable, "WEB_CONCURRENCY": str(workers), "REQUEST_BODY_MAX_BYTES": "1048576"})
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "serve"), "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        def serving() -> bool:
            assert process.poll() is None, "gunicorn exited"
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0 and len(_children(process.pid)) == workers

        wait_for(serving, timeout=60, log=log)
        yield {"url": f"http://127.0.0.1:{port}", "port": port, "process": process, "log": log}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def _get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=20) as response:
        response.read()
        return response.status, {name.lower(): value for name, value in response.headers.items()}


def test_gunicorn_with_uvicorn_workers_serves_pages_the_api_and_websockets():
    user = UserFactory()
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    session = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    with gunicorn() as server:
        status, headers = _get(f"{server['url']}/api/v1/feed/for-you/")
        assert status == 200 and headers["content-type"] == "application/json"
        assert "server" not in headers
        assert _get(f"{server['url']}/")[0] == 200

        # A body over REQUEST_BODY_MAX_BYTES is refused at its headers (config.bodies).
        with socket.create_connection(("127.0.0.1", server["port"]), timeout=10) as raw:
            raw.sendall(b"POST /api/v1/generations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 209715200\r\n\r\n")
            assert raw.recv(64).startswith(b"HTTP/1.1 413")

        # Websockets reach Channels: a visitor is told to log in, a signed-in person who asks
        # for a job that is not theirs is refused (their session and the row were read).
        socket_url = f"ws://127.0.0.1:{server['port']}/ws/generation/jobs/999999/"
        origin = server["url"]
        for headers_, code in (({}, 4401), ({"Cookie": session}, 4403)):
            with connect(socket_url, origin=origin, additional_headers=headers_, open_timeout=10) as ws:  # type: ignore[arg-type]
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == code


def test_gunicorn_replaces_a_worker_that_dies_and_keeps_serving():
    with gunicorn(workers=2) as server:
        arbiter = server["process"].pid
        before = _children(arbiter)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        # The other worker keeps answering while the arbiter starts a replacement.
        started = time.monotonic()
        assert _get(f"{server['url']}/healthz")[0] == 200
        wait_for(lambda: len(_children(arbiter) - {victim}) == 2, timeout=30, log=server["log"])
        assert victim not in _children(arbiter)
        assert time.monotonic() - started < 30
        for _ in range(4):
            assert _get(f"{server['url']}/healthz")[0] == 200
