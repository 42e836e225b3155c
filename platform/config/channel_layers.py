"""The Redis channel layer, with each connection pool built from a copy of its host settings.

channels_redis pops keys out of a host's settings dict while it builds a pool, and builds a
pool for every event loop, so the second loop would find the address gone. A copy keeps
options such as `socket_timeout` (None: wait on Redis for as long as nothing happens; recent
redis clients time reads out after a few seconds by default) usable for every pool.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.utils import create_pool


class RedisChannelLayer(BaseRedisChannelLayer):
    def create_pool(self, index: int):
        return create_pool(dict(self.hosts[index]))
