"""Django's Redis cache, reusing one client per connection pool, and degrading to a miss.

A cache is an optimisation: while Redis is down, a read answers a miss (the caller reads
the database), a write is dropped, and the outage is logged (config.outages.degraded), so
pages keep working on PostgreSQL alone. After a failure the client does not ask Redis again
for REDIS_RETRY_INTERVAL seconds: a Redis that hangs instead of refusing costs one socket
timeout per process per interval, not one per cache call of every request. The one risk is an invalidation lost during the
outage (a user row or a follow set changed while Redis was down, its cached copy still
there when Redis returns): deletes that failed are remembered, at most MISSED_DELETES_MAX of
them, and replayed before anything else once Redis answers again. Counters (`incr`) still
raise: they have no sensible miss (rate limits handle it in config.throttling).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from config.outages import degraded

# What redis-py raises when the server cannot be reached or does not answer in time.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
# Deletes remembered during an outage; past this many, the oldest are given up (their keys
# expire by their own timeout, five minutes for the user and relation caches).
MISSED_DELETES_MAX = 10_000


class PooledRedisCacheClient(RedisCacheClient):
    """Keep one `redis.Redis` per pool: building one per call cost ~0.1 ms on every request.

    Redis clients are safe to share between threads; each command borrows a connection
    from the pool.
    """

    if TYPE_CHECKING:
        # Private parts of Django's RedisCacheClient that its stubs leave out.
        _client: Callable[..., Any]  # redis.Redis

        def _get_connection_pool_index(self, write: bool) -> int: ...
        def _get_connection_pool(self, write: bool) -> Any: ...

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class DegradingRedisCacheClient(PooledRedisCacheClient):
    """A pooled client whose reads miss and whose writes are dropped while Redis is down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._missed_lock = threading.Lock()
        self._missed_deletes: dict[Any, None] = {}  # ordered: the oldest are given up first
        self._down_until = 0.0  # time.monotonic() before which Redis is not asked

    def reachable(self) -> None:
        """Raise at once, without asking Redis, if it failed less than the retry interval ago."""
        if time.monotonic() < self._down_until:
            raise RedisConnectionError("Redis failed moments ago; not asked again yet")

    def mark_down(self) -> None:
        """Remember that Redis just failed: callers get a miss at once for a while."""
        self._down_until = time.monotonic() + float(getattr(settings, "REDIS_RETRY_INTERVAL", 1.0))

    def _down(self, operation: str, exc: Exception) -> None:
        self.mark_down()
        degraded("cache", f"Redis is unreachable, {operation} degraded", exc)

    def _remember_deletes(self, keys: Iterable[Any]) -> None:
        with self._missed_lock:
            for key in keys:
                self._missed_deletes[key] = None
            while len(self._missed_deletes) > MISSED_DELETES_MAX:
                del self._missed_deletes[next(iter(self._missed_deletes))]

    def _replay_deletes(self) -> None:
        """Delete what could not be deleted during the outage; raise if Redis is still down.

        Called first by every operation, so it is also where a recent failure short-cuts
        the call.
        """
        self.reachable()
        if not self._missed_deletes:
            return
        with self._missed_lock:
            keys = list(self._missed_deletes)
        super().delete_many(keys)
        with self._missed_lock:
            for key in keys:
                self._missed_deletes.pop(key, None)

    def get(self, key: Any, default: Any) -> Any:
        try:
            self._replay_deletes()
            return super().get(key, default)
        except REDIS_DOWN as exc:
            self._down("get", exc)
            return default

    def get_many(self, keys: Any) -> dict[Any, Any]:
        try:
            self._replay_deletes()
            return super().get_many(keys)
        except REDIS_DOWN as exc:
            self._down("get_many", exc)
            return {}

    def has_key(self, key: Any) -> bool:
        try:
            self._replay_deletes()
            return super().has_key(key)
        except REDIS_DOWN as exc:
            self._down("has_key", exc)
            return False

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        try:
            self._replay_deletes()
            return super().add(key, value, timeout)
        except REDIS_DOWN as exc:
            self._down("add", exc)
            return False

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        try:
            self._replay_deletes()
            super().set(key, value, timeout)
        except REDIS_DOWN as exc:
            self._down("set", exc)
            # A set replaces the old value: if it failed, the old one must not come back.
            self._remember_deletes([key])

    def set_many(self, data: Any, timeout: Any) -> None:
        try:
            self._replay_deletes()
            super().set_many(data, timeout)
        except REDIS_DOWN as exc:
            self._down("set_many", exc)
            self._remember_deletes(data)

    def touch(self, key: Any, timeout: Any) -> bool:
        try:
            self._replay_deletes()
            return super().touch(key, timeout)
        except REDIS_DOWN as exc:
            self._down("touch", exc)
            return False

    def delete(self, key: Any) -> bool:
        try:
            self._replay_deletes()
            return super().delete(key)
        except REDIS_DOWN as exc:
            self._down("delete", exc)
            self._remember_deletes([key])
            return False

    def delete_many(self, keys: Any) -> None:
        try:
            self._replay_deletes()
            super().delete_many(keys)
        except REDIS_DOWN as exc:
            self._down("delete_many", exc)
            self._remember_deletes(keys)

    def incr(self, key: Any, delta: int) -> Any:
        self._replay_deletes()
        return super().incr(key, delta)


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = DegradingRedisCacheClient

    @property
    def client(self) -> DegradingRedisCacheClient:
        """Return this cache's client (Django's `_cache`, typed as what it is here)."""
        return cast(DegradingRedisCacheClient, self._cache)
