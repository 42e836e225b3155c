"""Bodies over the limit are refused before they are read: in Daphne, in any ASGI server, in WSGI."""

from __future__ import annotations

import asyncio
import socket
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.test import Client

from config.bodies import BodyLimitMiddleware
from tests.support.worker import asgi_server

LIMIT = 1024 * 1024  # the servers started here take 1 MB at most


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _post(port: int, head: bytes, body_chunks: int, chunk: bytes, *, chunked: bool = False) -> tuple[int, float]:
    """Send a POST and as much of its body as the server takes; return its status and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(head)
        try:
            for _index in range(body_chunks):
                client.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        except OSError:  # the server stopped reading and closed: what it should do
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = client.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_daphne_refuses_oversized_bodies_at_once_and_its_memory_stays_flat():
    with asgi_server(extra_env={"REQUEST_BODY_MAX_BYTES": str(LIMIT)}) as server:
        port, pid = server["port"], server["process"].pid
        urllib.request.urlopen(f"{server['url']}/healthz", timeout=10).read()
        before = _rss_kib(pid)
        megabyte = b"x" * LIMIT
        boundary = b"----reel"
        declared = (
            b"POST /api/v1/generations/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        # A 200 MB multipart body, before any log-in: refused at its headers, the rest unread.
        statuses = [_post(port, declared, 200, megabyte) for _attempt in range(8)]
        assert all(status == 413 for status, _took in statuses), statuses
        # A chunked body says nothing of its size: cut off once it passes the limit.
        chunked = (
            b"POST /api/v1/generations/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        status, _took = _post(port, chunked, 20, b"y" * (256 * 1024), chunked=True)
        assert status == 413
        # Other requests were never stalled, and memory did not grow with what was sent.
        started = time.monotonic()
        urllib.request.urlopen(f"{server['url']}/healthz", timeout=10).read()
        assert time.monotonic() - started < 2.0
        assert _rss_kib(pid) - before < 64 * 1024, (before, _rss_kib(pid))
        # A body under the limit still reaches the site (here: refused for want of a log-in).
        small = b'{"prompt": "a fox"}'
        status, _took = _post(
            port, b"POST /api/v1/generations/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(small), 1, small,
        )
        assert status in (401, 403)


def _asgi(app, *, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """Run an ASGI app on one request; return the status it sent and how many body bytes it read."""
    sent: list[dict] = []
    queue = [{"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
             for index, chunk in enumerate(chunks)]
    read = 0

    async def receive():
        nonlocal read
        message = queue.pop(0)
        read += len(message["body"])
        return message

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    # On a thread of its own: the browser tests may leave this thread's event loop running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent[0]["status"], read


def test_the_asgi_middleware_refuses_without_reading_and_cuts_off_a_long_stream(settings):
    settings.REQUEST_BODY_MAX_BYTES = 100

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = BodyLimitMiddleware(app)
    assert _asgi(limited, headers=[(b"content-length", b"1000")], chunks=[b"x" * 1000]) == (413, 0)
    status, read = _asgi(limited, headers=[], chunks=[b"x" * 60] * 10)
    assert status == 413 and read <= 120
    assert _asgi(limited, headers=[(b"content-length", b"50")], chunks=[b"x" * 50]) == (200, 50)


def test_wsgi_requests_over_the_limit_are_refused_before_the_body_is_read(settings):
    settings.REQUEST_BODY_MAX_BYTES = 100
    response = Client().generic("POST", "/api/v1/generations/", b"x" * 200, content_type="application/json")
    assert response.status_code == 413
