"""The Redis cache reuses its client instead of building one per call."""

import pytest
from django.core.cache import cache

from config.cache import PooledRedisCacheClient


def test_redis_cache_reuses_one_client_per_pool(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: CI runs it with REDIS_URL set")
    assert isinstance(cache._cache, PooledRedisCacheClient)
    cache.set("reuse-probe", 1)
    assert cache.get("reuse-probe") == 1
    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=True)
    assert cache.incr("reuse-probe") == 2
