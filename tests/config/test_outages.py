"""While Redis or PostgreSQL is down, the site answers what it can and a 503 for the rest.

Redis down: the feed, the pages and the sessions keep working on PostgreSQL (the cache
answers misses, rate limits let requests through and log it), writes answer 200 or 503,
never 500. PostgreSQL down: the API answers 503 with Retry-After in its JSON error shape,
pages show the "back in a moment" page. Both recover by themselves when the server returns.

Each test starts its own Redis or PostgreSQL (tests/support/servers.py) on a free port and
stops only that one: the machine's servers are shared. Most run in this process with
Django's test client, the settings pointed at the test's server; two run a real Daphne.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import (
    DatabaseError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
)
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.selectors import followee_ids
from config.outages import degraded
from config.throttling import window_hit
from feed import api as feed_api
from feed import views as feed_views
from tests.conftest import PASSWORD
from tests.factories import PostFactory, UserFactory
from tests.support.faults import PostgresServer, postgres_server, redis_server
from tests.support.worker import asgi_server

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
RETRY_AFTER = 7


@pytest.fixture(autouse=True)
def _outage_settings(settings):
    settings.UNAVAILABLE_RETRY_AFTER = RETRY_AFTER
    settings.REDIS_RETRY_INTERVAL = 0.5
    degraded.last.clear()  # every test sees its own first report of an outage
    degraded.missed.clear()


def _cache_on(settings, url: str, timeout: float = 0.3) -> None:
    """Point the cache, and so the sessions and the rate limits, at the Redis at `url`."""
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "reel-outage-test",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


def _assert_unavailable_json(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "error": {"code": "unavailable", "message": "Reel is briefly unavailable. Try again in a moment."}
    }
    assert response["Retry-After"] == str(RETRY_AFTER)
    assert "no-store" in response["Cache-Control"]


def _assert_back_in_a_moment(response, *, reloads: bool = True) -> str:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == str(RETRY_AFTER)
    html = response.content.decode()
    assert "css/reel.css" in html  # the site's own look
    assert (f'http-equiv="refresh" content="{RETRY_AFTER}"' in html) is reloads
    return html


# --- The shape of the answers, whatever raised the error


@pytest.mark.django_db
def test_a_database_error_under_the_api_is_a_json_500_and_an_outage_a_json_503(monkeypatch):
    client = APIClient(raise_request_exception=False)

    def broken(self, request, *args, **kwargs):
        raise DatabaseError("relation does not exist")

    monkeypatch.setattr(feed_api.ForYouFeedView, "get", broken)
    response = client.get("/api/v1/feed/for-you/")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": "A server error occurred."}}

    def down(self, request, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(feed_api.ForYouFeedView, "get", down)
    _assert_unavailable_json(client.get("/api/v1/feed/for-you/"))


@pytest.mark.django_db
def test_an_outage_raised_outside_a_view_is_answered_503_too(monkeypatch):
    """The session is read by middleware, before any view: its failure is still a 503."""
    from django.contrib.sessions.backends import cached_db

    def down(self, *args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(cached_db.SessionStore, "load", down)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    # A web form: WriteThrottleMiddleware reads the user, hence the session.
    response = client.post("/login/", {"username": "a", "password": "b"})
    html = _assert_back_in_a_moment(response, reloads=False)
    assert "send it again" in html
    _assert_unavailable_json(client.get("/api/v1/me/"))


@pytest.mark.django_db
def test_the_back_in_a_moment_page_speaks_french(monkeypatch):
    def down(request, *args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(feed_views, "_feed", down)
    client = Client(raise_request_exception=False)
    html = _assert_back_in_a_moment(client.get("/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "De retour dans un instant" in html
    assert f"réessaiera d’elle-même dans {RETRY_AFTER} secondes" in html
    api = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="fr")
    assert api.status_code in (401, 503)  # anonymous: refused before any database read
    html = _assert_back_in_a_moment(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Back in a moment" in html


# --- Redis down, in this process


@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_while_redis_is_down_the_feed_pages_and_sessions_work_and_writes_never_500(settings, caplog):
    caplog.set_level(logging.WARNING, logger="config.outages")
    viewer, author, other = UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author=author)
    token = Token.objects.create(user=viewer).key
    with redis_server() as redis:
        _cache_on(settings, redis.url)
        browser = Client(raise_request_exception=False)
        browser.force_login(viewer)
        api = APIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert browser.get("/").status_code == 200
        assert api.get("/api/v1/feed/following/").status_code == 200

        redis.stop()
        # Reads: the feeds, a post, a profile, signed in or not, page or API.
        for path in ("/", "/following/", f"/v/{post.pk}/", f"/@{author.handle}/"):
            page = browser.get(path)
            assert page.status_code == 200, (path, page.status_code)
            # Still signed in: the session came from the database.
            assert f'data-handle="{viewer.handle}"' in page.content.decode()
        assert Client().get("/").status_code == 200
        for path in ("/api/v1/feed/for-you/", "/api/v1/feed/following/", f"/api/v1/posts/{post.pk}/"):
            assert api.get(path).status_code == 200, path
        for path in ("/api/v1/feed/for-you/", f"/api/v1/posts/{post.pk}/"):
            assert APIClient().get(path).status_code == 200, path
        assert api.get("/api/v1/me/").json()["handle"] == viewer.handle
        # Writes that need only the database go through; none is a 500.
        assert api.post(f"/api/v1/posts/{post.pk}/like/").json()["like_count"] == 1
        assert api.post(f"/api/v1/posts/{post.pk}/comments/", {"body": "still here"}, format="json").status_code == 201
        assert api.post(f"/api/v1/users/{other.handle}/follow/").status_code in (200, 201)
        comment = browser.post(f"/v/{post.pk}/comments/", {"body": "from the page"})
        assert comment.status_code in (200, 302), comment.status_code
        # Log-in failures are not counted, the form still answers.
        assert Client().post("/login/", {"username": viewer.handle, "password": "wrong"}).status_code == 200
        # A new sign-in works, and its session outlives the outage.
        fresh = Client(raise_request_exception=False)
        signed = fresh.post("/login/", {"username": viewer.handle, "password": PASSWORD})
        assert signed.status_code == 302, signed.status_code

        messages = [record.getMessage() for record in caplog.records]
        assert any("rate limits are open" in message for message in messages), messages
        assert any("cache: Redis is unreachable" in message for message in messages), messages

        redis.start()  # empty, as after a restart
        time.sleep(settings.REDIS_RETRY_INTERVAL)
        assert window_hit("probe:after-restart", 60) == 1  # counters count again
        assert window_hit("probe:after-restart", 60) == 2
        assert f'data-handle="{viewer.handle}"' in fresh.get("/").content.decode()
        assert other.pk in followee_ids(user=viewer)
        assert api.get("/api/v1/feed/following/").status_code == 200
        cache.set("probe:cached", 1)
        assert cache.get("probe:cached") == 1


@needs_redis_server
@pytest.mark.django_db
def test_a_hung_redis_costs_one_timeout_and_missed_invalidations_are_replayed(settings):
    """A Redis that stops answering (paused, not gone) keeps its data: what was changed
    meanwhile must not come back stale, and requests do not each wait for a timeout."""
    viewer, author = UserFactory(), UserFactory()
    with redis_server() as redis:
        _cache_on(settings, redis.url, timeout=0.3)
        assert followee_ids(user=viewer) == frozenset()  # cached: follows nobody
        assert cache.get(f"followees:{viewer.pk}") == []
        os.kill(redis.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            from accounts.services import follow_create

            follow_create(follower=viewer, followee=author)  # its invalidation cannot reach Redis
            for _ in range(20):
                assert author.pk in followee_ids(user=viewer)  # a miss: read from the table
            # One socket timeout, then misses at once until the retry interval is over.
            assert time.monotonic() - started < 2.0
        finally:
            os.kill(redis.process.pid, signal.SIGCONT)
        time.sleep(settings.REDIS_RETRY_INTERVAL)
        # The stale set ("follows nobody") is still in Redis; the replayed delete removes it
        # before the first read, so it never reaches anyone.
        assert author.pk in followee_ids(user=viewer)
        assert cache.get(f"followees:{viewer.pk}") == [author.pk]


# --- PostgreSQL down, in this process


@contextlib.contextmanager
def _default_database_on(server: PostgresServer, dbname: str) -> Iterator[None]:
    """Point Django's default connection (and its pool) at `dbname` on `server`, then back."""
    conn = connections["default"]
    saved = copy.deepcopy(conn.settings_dict)
    conn.close()
    conn.close_pool()
    options = dict(conn.settings_dict.get("OPTIONS") or {})
    if options.get("pool"):
        options["pool"] = {**options["pool"], "min_size": 1, "timeout": 1.0}
    conn.settings_dict.update(
        HOST="127.0.0.1", PORT=str(server.port), NAME=dbname, USER="postgres", PASSWORD="", OPTIONS=options
    )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        conn.close_pool()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


class _AsAServer:
    """Django's test client leaves the connection alone between requests (a test's
    transaction lives on it); a server checks or closes it as each request starts and ends
    (`close_old_connections`), which is how it gets rid of a connection that died. Do so."""

    def request(self, *args, **kwargs):
        close_old_connections()
        try:
            return super().request(*args, **kwargs)  # type: ignore[misc]
        finally:
            close_old_connections()


class _ServerClient(_AsAServer, Client):
    pass


class _ServerAPIClient(_AsAServer, APIClient):
    pass


def _until(predicate, timeout: float = 30.0) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"not recovered after {timeout}s"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.fixture
def own_postgres(postgres_only):
    """A PostgreSQL of the test's own (copy the test database into it with _copy_database)."""
    with postgres_server() as server:
        yield server


def _copy_database(server: PostgresServer, *, source: dict, dbname: str) -> None:
    """Create `dbname` on `server` as a copy of the database that `source` (Django's
    connection parameters) names."""
    target = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
    subprocess.run(["psql", *target, "-d", "postgres", "-q", "-c", f'CREATE DATABASE "{dbname}"'],
                   check=True, capture_output=True, timeout=60)
    dump = subprocess.run(
        ["pg_dump", "-h", source.get("host") or "127.0.0.1", "-p", str(source.get("port") or 5432),
         "-U", source.get("user") or "postgres", "--no-owner", "--no-privileges", source["dbname"]],
        check=True, capture_output=True, timeout=120,
        env={**os.environ, "PGPASSWORD": source.get("password") or ""},
    )
    subprocess.run(["psql", *target, "-d", dbname, "-v", "ON_ERROR_STOP=1", "-q"],
                   input=dump.stdout, check=True, capture_output=True, timeout=120)


def _url(server: PostgresServer, dbname: str) -> str:
    return f"postgres://postgres@127.0.0.1:{server.port}/{dbname}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_postgres_is_down_the_api_is_503_json_and_pages_back_in_a_moment_then_it_recovers(own_postgres):
    viewer = UserFactory()
    post = PostFactory()
    token = Token.objects.create(user=viewer).key
    _copy_database(own_postgres, source=connection.get_connection_params(), dbname="reel_outage")
    with _default_database_on(own_postgres, "reel_outage"):
        api = _ServerAPIClient(raise_request_exception=False)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        browser = _ServerClient(raise_request_exception=False)
        assert api.get("/api/v1/feed/for-you/").status_code == 200
        assert browser.get("/").status_code == 200

        own_postgres.stop()
        _assert_unavailable_json(api.get("/api/v1/feed/for-you/"))
        _assert_unavailable_json(_ServerAPIClient(raise_request_exception=False).get(f"/api/v1/posts/{post.pk}/"))
        _assert_unavailable_json(api.post(f"/api/v1/posts/{post.pk}/like/"))
        html = _assert_back_in_a_moment(browser.get("/"))
        assert "Back in a moment" in html
        _assert_back_in_a_moment(browser.get(f"/v/{post.pk}/"))
        _assert_back_in_a_moment(browser.post("/login/", {"username": "a", "password": "b"}), reloads=False)

        own_postgres.start()
        _until(lambda: api.get("/api/v1/feed/for-you/").status_code == 200)
        assert api.post(f"/api/v1/posts/{post.pk}/like/").json()["like_count"] == 1
        assert browser.get("/").status_code == 200


# --- End to end, through a real Daphne


def _get(url: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _post(url: str, token: str) -> int:
    request = urllib.request.Request(url, method="POST", headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_daphne_serves_reads_and_writes_while_its_redis_is_down_and_uses_it_again_after():
    viewer = UserFactory()
    post = PostFactory()
    token = Token.objects.create(user=viewer).key
    with redis_server() as redis:
        env = {"REDIS_URL": redis.url, "REDIS_SOCKET_TIMEOUT": "0.5", "UNAVAILABLE_RETRY_AFTER": str(RETRY_AFTER)}
        with asgi_server(extra_env=env) as server:
            base = server["url"]
            assert _get(f"{base}/api/v1/feed/for-you/")[0] == 200
            redis.stop()
            statuses = []
            for _ in range(5):
                statuses += [_get(f"{base}/api/v1/feed/for-you/")[0], _get(f"{base}/")[0]]
                statuses.append(_post(f"{base}/api/v1/posts/{post.pk}/like/", token))
            assert set(statuses) == {200}, statuses
            redis.start()
            import redis as redis_client

            counters = redis_client.Redis.from_url(redis.url)
            _until(lambda: _get(f"{base}/api/v1/feed/for-you/")[0] == 200 and bool(counters.keys("*throttle*")))
            server["log"].flush()
            server["log"].seek(0)
            log = server["log"].read()
            assert "rate limits are open" in log, log[-3000:]
            assert " 500 " not in log


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_daphne_answers_503_while_its_postgres_is_down_and_recovers_without_a_restart(own_postgres):
    viewer = UserFactory()
    post = PostFactory()
    token = Token.objects.create(user=viewer).key
    _copy_database(own_postgres, source=connection.get_connection_params(), dbname="reel_outage")
    env = {
        "DATABASE_URL": _url(own_postgres, "reel_outage"),
        "DATABASE_POOL_TIMEOUT": "1",
        "UNAVAILABLE_RETRY_AFTER": str(RETRY_AFTER),
    }
    with asgi_server(extra_env=env) as server:
        base = server["url"]
        assert _get(f"{base}/api/v1/feed/for-you/")[0] == 200
        own_postgres.stop()
        status, headers, body = _get(f"{base}/api/v1/feed/for-you/")
        assert status == 503
        assert headers["Retry-After"] == str(RETRY_AFTER)
        assert json.loads(body)["error"]["code"] == "unavailable"
        assert _post(f"{base}/api/v1/posts/{post.pk}/like/", token) == 503
        status, headers, body = _get(f"{base}/", **{"Accept-Language": "fr"})
        assert status == 503 and headers["Retry-After"] == str(RETRY_AFTER)
        assert "De retour dans un instant" in body.decode()
        own_postgres.start()
        took = _until(lambda: _get(f"{base}/api/v1/feed/for-you/")[0] == 200)
        assert took < 15
        assert _post(f"{base}/api/v1/posts/{post.pk}/like/", token) == 200
        assert _get(f"{base}/")[0] == 200


def _request(url: str, method: str, token: str) -> int:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0  # no answer at all: counted, and failed below


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_like_storm_through_a_postgresql_restart_answers_no_500_and_leaves_the_count_exact(own_postgres, capsys):
    people = UserFactory.create_batch(6)
    post = PostFactory()
    tokens = [Token.objects.create(user=person).key for person in people]
    _copy_database(own_postgres, source=connection.get_connection_params(), dbname="reel_storm")
    env = {"DATABASE_URL": _url(own_postgres, "reel_storm"), "DATABASE_POOL_TIMEOUT": "1",
           "UNAVAILABLE_RETRY_AFTER": str(RETRY_AFTER)}
    statuses: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    with asgi_server(extra_env=env) as server:
        like = f"{server['url']}/api/v1/posts/{post.pk}/like/"

        def storm(token: str) -> None:
            # Like, unlike, like... bounded in count and in time.
            for turn in range(400):
                if stop.is_set():
                    return
                status = _request(like, "POST" if turn % 2 == 0 else "DELETE", token)
                with lock:
                    statuses.append(status)

        threads = [threading.Thread(target=storm, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            restarted = time.monotonic()
            own_postgres.restart()  # pg_ctl restart -m fast: every session ended at once
            took = _until(lambda: _request(like, "POST", tokens[0]) == 200)
            recovered = time.monotonic() - restarted
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        server["log"].flush()
        server["log"].seek(0)
        log = server["log"].read()

    with capsys.disabled():
        print(f"\n[recovery] PostgreSQL restarted under {len(tokens)} clients liking one post: likes answered "
              f"again {recovered:.1f} s after the restart began ({took:.1f} s after it returned); "
              f"{len(statuses)} requests, {statuses.count(503)} answered 503")
    assert statuses and set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) > statuses.count(503)
    assert " 500 " not in log
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{own_postgres.port}/reel_storm") as db:
        stored = db.execute("SELECT like_count FROM feed_post WHERE id = %s", (post.pk,)).fetchone()[0]
        counted = db.execute("SELECT count(*) FROM feed_like WHERE post_id = %s", (post.pk,)).fetchone()[0]
    assert stored == counted
