"""Rate limits as fixed-window counters: one cache round trip a request, whatever the rate.

DRF's stock throttles keep every request's timestamp in a list that is read, pickled and
written back on each request, so their cost grows with the rate allowed. A counter per
window is constant; at a window's edge it may let up to twice the rate through, which is
the usual trade for rate limiting.
"""

from __future__ import annotations

import time

from django.core.cache import cache as default_cache
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS

from config.cache import RedisCache


def window_hit(key: str, seconds: int, cache=default_cache) -> int:
    """Count one hit on `key` in its current window and return the window's count so far."""
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(write=True)
        full_key = cache.make_and_validate_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, seconds, nx=True)
        count, _ = pipe.execute()
        return int(count)
    cache.add(key, 0, seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, seconds)
        return 1


class WindowThrottleMixin:
    """Replace SimpleRateThrottle's timestamp history with a counter per window."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self._retry_after = (window + 1) * self.duration - now
        count = window_hit(f"{self.key}:{window}", self.duration + 1, self.cache)
        return count <= self.num_requests

    def wait(self) -> float | None:
        return max(getattr(self, "_retry_after", 0.0), 0.0)


class AnonRateThrottle(WindowThrottleMixin, throttling.AnonRateThrottle):
    """Limit what each visitor's address may ask (setting `anon`)."""


class UserRateThrottle(WindowThrottleMixin, throttling.UserRateThrottle):
    """Limit what each signed-in person may ask (setting `user`)."""


class WriteRateThrottle(WindowThrottleMixin, throttling.ScopedRateThrottle):
    """Limit the unsafe methods of a view by its `throttle_scope`; reads pass freely."""

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        # As ScopedRateThrottle does: the rate depends on the view, known only now.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
