"""The cache shared by every process (`CACHE_REDIS=true`): Django's Redis cache, with each
client kept, and the throttles' request logs kept in Redis itself."""

from __future__ import annotations

import secrets

from django.core.cache.backends import redis

# A log of requests as a sorted set (a member per request, scored by its time), trimmed to
# the window, counted and added to in one atomic step. Times go in as the caller's floats
# written out in full: Lua would round its own arithmetic to 14 digits.
# KEYS: the log. ARGV: now, the oldest time still in the window (exclusive), the window in
# seconds, the limit, a member naming this request. Returns {held}, or {held, oldest time}
# when the log is full and the request is not recorded (now, for a limit of 0 and no log).
_LOG_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local held = redis.call('ZCARD', KEYS[1])
if held >= tonumber(ARGV[4]) then
    return {held, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {held}
"""


class RedisCacheClient(redis.RedisCacheClient):
    """Django's client, keeping one Redis client per connection pool: Django's builds a new
    one, with its table of reply parsers, for every command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    """Django's Redis cache on the client above, able to keep a request log."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._log_script = None

    def request_logged(
        self, key: str, now: float, window: int, limit: int
    ) -> tuple[int, float | None]:
        """Record a request made at `now` in the log under `key`, unless `limit` requests of
        the last `window` seconds are in it already. Return how many were (this one left
        out), and, when the log was full, the time of the oldest.

        One round trip, atomic: requests made at once by many processes are each counted.
        """
        # A key of its own: a value Django's cache wrote under the throttle's key (DRF's log,
        # from processes not yet restarted on upgrade) is a string, which Redis would refuse
        # to read as a sorted set, and they would refuse this.
        key = self.make_and_validate_key(f"{key}:log")
        client = self._cache.get_client(key, write=True)
        if self._log_script is None:
            self._log_script = client.register_script(_LOG_SCRIPT)
        member = f"{now!r}:{secrets.token_hex(4)}"
        reply = self._log_script(
            keys=[key], args=[repr(now), repr(now - window), window, limit, member], client=client
        )
        return int(reply[0]), float(reply[1]) if len(reply) > 1 else None
