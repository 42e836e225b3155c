"""Many requests at once through the ASGI application: PostgreSQL connections stay bounded.

Under ASGI, Django runs each request's synchronous code in a thread of its own, and a
connection belongs to a thread. With persistent connections (CONN_MAX_AGE) each of those
threads kept one open after its request, until PostgreSQL refused new ones: 32 clients
liking one post got 500s for a third of their requests. The pool (DATABASE_POOL_*) lends a
connection for the length of a request and takes it back when the request ends.

These tests run a real Daphne on the test database, send 32 clients' requests at once
(reads and likes), and watch `pg_stat_activity` for the connections of that one server,
told apart by the application name its environment gives libpq (PGAPPNAME).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import PostFactory, UserFactory
from tests.support.worker import asgi_server

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CLIENTS = 32
REQUESTS_PER_CLIENT = 12
POOL_MAX = 4


def _dsn() -> str:
    params = connection.get_connection_params()
    keys = ("host", "port", "user", "password", "dbname")
    return " ".join(f"{key}={params[key]}" for key in keys if params.get(key))


class _ConnectionWatch:
    """Count, every 20 ms, the connections PostgreSQL has open for one application name."""

    def __init__(self, application: str) -> None:
        self.application = application
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(_dsn(), autocommit=True) as watcher:
            while not self._stop.is_set():
                row = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [self.application],
                ).fetchone()
                self.counts.append(row[0] if row else 0)
                time.sleep(0.02)

    def __enter__(self) -> _ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _hammer(base_url: str, post_id: int, tokens: list[str], requests: int) -> Counter:
    """Have each client send `requests`, alternately a feed read and a like or unlike;
    return the statuses."""

    def client(token: str) -> list[int]:
        statuses = []
        for index in range(requests):
            if index % 2 == 0:
                request = urllib.request.Request(f"{base_url}/api/v1/feed/for-you/")
            else:
                method = "POST" if index % 4 == 1 else "DELETE"
                request = urllib.request.Request(
                    f"{base_url}/api/v1/posts/{post_id}/like/", method=method,
                    headers={"Authorization": f"Token {token}"},
                )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    json.loads(response.read())
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        return statuses

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return Counter(status for statuses in pool.map(client, tokens) for status in statuses)


def _run(
    extra_env: dict[str, str], clients: int = CLIENTS, requests: int = REQUESTS_PER_CLIENT
) -> tuple[Counter, list[int], list[int]]:
    """Serve with `extra_env`, hammer with `clients` at once, and return the statuses and
    the connection counts during the load and once it is over."""
    post = PostFactory()
    tokens = [Token.objects.create(user=UserFactory()).key for _ in range(clients)]
    application = f"reel-test-{uuid.uuid4().hex[:8]}"
    with asgi_server(extra_env={"PGAPPNAME": application, **extra_env}) as server:
        with _ConnectionWatch(application) as during:
            statuses = _hammer(server["url"], post.pk, tokens, requests)
        with _ConnectionWatch(application) as after:
            time.sleep(0.5)
    return statuses, during.counts, after.counts


def test_a_pooled_server_holds_at_most_its_pool_under_32_concurrent_clients(postgres_only):
    statuses, during, after = _run(
        {"DATABASE_POOL": "true", "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": str(POOL_MAX)}
    )
    assert statuses == Counter({200: CLIENTS * REQUESTS_PER_CLIENT}), statuses
    assert during and max(during) <= POOL_MAX, during
    assert max(during) >= 1
    # Nothing is left behind by the threads that ran the requests: the pool keeps what it
    # holds, no more.
    assert max(after) <= POOL_MAX, after


def test_without_the_pool_persistent_connections_pile_up_one_per_request(postgres_only):
    """The failure the pool fixes, measured the same way: the thread that ran each request
    left its connection open. Kept small (4 clients, 16 requests): the PostgreSQL server is
    shared, and at the scale of the test above this would use up its connections (79 for
    144 requests when measured) for whoever else is using it."""
    clients, requests = 4, 4
    statuses, during, _after = _run(
        {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "60"}, clients, requests
    )
    assert statuses[200] == clients * requests, statuses
    assert max(during) > POOL_MAX * 2, during
