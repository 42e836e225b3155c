"""Rate limits as fixed-window counters: one cache round trip a request, whatever the rate.

DRF's stock throttles keep every request's timestamp in a list that is read, pickled and
written back on each request, so their cost grows with the rate allowed. A counter per
window is constant; at a window's edge it may let up to twice the rate through, which is
the usual trade for rate limiting.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from redis.exceptions import NoScriptError
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

from config.cache import REDIS_DOWN, RedisCache
from config.network import client_address
from config.outages import degraded

Window = tuple[str, int]

if TYPE_CHECKING:
    # Not imported at run time: rest_framework.views imports this module while it loads.
    from rest_framework.views import APIView

    # What the mixins below are combined with, and whose attributes they use.
    _ThrottleBase = throttling.SimpleRateThrottle
    _ViewBase = APIView
else:
    _ThrottleBase = _ViewBase = object


def _backend(cache):
    """Return the cache backend itself: `django.core.cache.cache` is only a proxy to it."""
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


# Count a hit on each key; a key's first hit starts its window. One command, one reply,
# however many windows: a pipeline of INCR and EXPIRE cost half as much again in the client.
_WINDOW_HITS_LUA = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""
_WINDOW_HITS_SHA = hashlib.sha1(_WINDOW_HITS_LUA.encode(), usedforsecurity=False).hexdigest()


def window_hits(windows: Sequence[Window], cache=default_cache) -> list[int]:
    """Count one hit on each (key, seconds) window and return each window's count so far.

    On Redis every counter moves in the same round trip. While Redis is down every count
    is 0: limits fail open.
    """
    backend = _backend(cache)
    if isinstance(backend, RedisCache):
        client = backend.client.get_client(write=True)
        keys = [backend.make_and_validate_key(key) for key, _ in windows]
        lifetimes = [seconds for _, seconds in windows]
        try:
            backend.client.reachable()
            try:
                counts = client.evalsha(_WINDOW_HITS_SHA, len(keys), *keys, *lifetimes)
            except NoScriptError:  # the server has not seen the script yet, or was flushed
                counts = client.eval(_WINDOW_HITS_LUA, len(keys), *keys, *lifetimes)
        except REDIS_DOWN as exc:
            backend.client.mark_down()
            degraded("throttling", "Redis is unreachable, rate limits are open", exc)
            return [0 for _ in windows]
        return [int(count) for count in counts]
    counts = []
    for key, seconds in windows:
        backend.add(key, 0, seconds)
        try:
            counts.append(backend.incr(key))
        except ValueError:  # expired between the two calls
            backend.set(key, 1, seconds)
            counts.append(1)
    return counts


def window_hit(key: str, seconds: int, cache=default_cache) -> int:
    """Count one hit on `key` in its current window and return the window's count so far."""
    return window_hits([(key, seconds)], cache)[0]


class WindowThrottleMixin(_ThrottleBase):
    """Replace SimpleRateThrottle's timestamp history with a counter per window."""

    # Set by SimpleRateThrottle from parse_rate(rate), but missing from its stubs; None
    # (both together) when the rate is None, that is unlimited.
    num_requests: int | None
    duration: int | None

    def window(self, request, view) -> Window | None:
        """Return the counter this request counts against and how long it lives; None if unlimited."""
        if self.rate is None or self.duration is None:
            return None
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return None
        now = time.time()
        window = int(now // self.duration)
        self._retry_after = (window + 1) * self.duration - now
        return f"{self.key}:{window}", self.duration + 1

    def get_ident(self, request) -> str:
        """Return the client's address: DRF's own believes any X-Forwarded-For it is sent."""
        return client_address(request)

    def allowed(self, count: int) -> bool:
        """Return whether a window that has counted `count` requests lets this one through."""
        return self.num_requests is None or count <= self.num_requests

    def allow_request(self, request, view) -> bool:
        window = self.window(request, view)
        return window is None or self.allowed(window_hits([window], self.cache)[0])

    def wait(self) -> float | None:
        return max(getattr(self, "_retry_after", 0.0), 0.0)


class AnonRateThrottle(WindowThrottleMixin, throttling.AnonRateThrottle):
    """Limit what each visitor's address may ask (setting `anon`)."""


class UserRateThrottle(WindowThrottleMixin, throttling.UserRateThrottle):
    """Limit what each signed-in person may ask (setting `user`)."""


class WriteRateThrottle(WindowThrottleMixin, throttling.ScopedRateThrottle):
    """Limit the unsafe methods of a view by its `throttle_scope`; reads pass freely."""

    def window(self, request, view) -> Window | None:
        if request.method in SAFE_METHODS:
            return None
        # As ScopedRateThrottle does: the rate depends on the view, known only now.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return None
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().window(request, view)


class BatchedThrottlesMixin(_ViewBase):
    """Check all of a view's window throttles in one cache round trip instead of one each.

    Every throttle still counts the request, and the refusal waits for the longest of those
    that refused, as APIView.check_throttles does.
    """

    def check_throttles(self, request) -> None:
        refused = []
        by_cache: dict[int, tuple[object, list]] = {}  # throttles sharing a cache share a round trip
        for throttle in self.get_throttles():
            if isinstance(throttle, WindowThrottleMixin):
                window = throttle.window(request, self)
                if window is not None:
                    by_cache.setdefault(id(throttle.cache), (throttle.cache, []))[1].append((throttle, window))
            elif not throttle.allow_request(request, self):
                refused.append(throttle)
        for cache, counted in by_cache.values():
            counts = window_hits([window for _, window in counted], cache)
            refused += [t for (t, _), count in zip(counted, counts, strict=True) if not t.allowed(count)]
        if refused:
            durations = [d for d in (throttle.wait() for throttle in refused) if d is not None]
            # The stubs want a float, but DRF's own check_throttles passes None when no
            # refusing throttle gave a wait, and Throttled(wait=None) accepts it.
            self.throttled(request, max(durations, default=None))  # type: ignore[arg-type]
