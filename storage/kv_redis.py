"""The Redis-backed key-value store, shared by every process of a deployment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from storage.kv import StoreUnavailable, Write, ttl_ms


# EXISTS first rather than testing INCR's result for 1: a key pre-set to "0" is
# not new and must keep its expiry (or lack of one).
_INCR_WITH_TTL_ON_CREATE = """
local created = redis.call('EXISTS', KEYS[1]) == 0
local count = redis.call('INCR', KEYS[1])
if created and ARGV[1] ~= '' then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


# A sorted set of admission times: drop those at or before at - window, count, maybe add.
_ADMIT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(ARGV[2] * 2000))
return 1
"""


_DELETE_IF = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@contextmanager
def _unavailable_on_redis_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        raise StoreUnavailable(f"redis {operation} failed: {exc}") from exc


class RedisStore:
    """Redis-backed store shared by every process of a deployment."""

    def __init__(self, url: str, prefix: str = "baoxiu:") -> None:
        self._prefix = prefix
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            # Short timeouts: a chat webhook must answer quickly even when Redis is down.
            socket_connect_timeout=2,
            socket_timeout=2,
            # One immediate retry recovers a pooled connection the server dropped
            # (restart, idle timeout) without redis-py's default multi-second backoff.
            retry=Retry(NoBackoff(), 1),
        )
        self._incr_script = self._client.register_script(_INCR_WITH_TTL_ON_CREATE)
        self._admit_script = self._client.register_script(_ADMIT)
        self._delete_if_script = self._client.register_script(_DELETE_IF)

    def get(self, key: str) -> str | None:
        with _unavailable_on_redis_errors("get"):
            value = self._client.get(self._k(key))
        return value.decode() if isinstance(value, bytes) else value

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        with _unavailable_on_redis_errors("get_many"):
            values = self._client.mget([self._k(key) for key in keys])
        return [value.decode() if isinstance(value, bytes) else value for value in values]

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        with _unavailable_on_redis_errors("set"):
            self._client.set(self._k(key), value, px=ttl_ms(ttl))

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        with _unavailable_on_redis_errors("set_if_absent"):
            # SET NX answers None (not False) when the key already exists.
            return bool(self._client.set(self._k(key), value, nx=True, px=ttl_ms(ttl)))

    def delete(self, key: str) -> None:
        with _unavailable_on_redis_errors("delete"):
            self._client.delete(self._k(key))

    def delete_if(self, key: str, value: str) -> bool:
        with _unavailable_on_redis_errors("delete_if"):
            return bool(self._delete_if_script(keys=[self._k(key)], args=[value]))

    def write_many(self, writes: Sequence[Write]) -> None:
        if not writes:
            return
        with _unavailable_on_redis_errors("write_many"):
            pipe = self._client.pipeline(transaction=False)
            for key, value, ttl in writes:
                if value is None:
                    pipe.delete(self._k(key))
                else:
                    pipe.set(self._k(key), value, px=ttl_ms(ttl))
            pipe.execute()

    def incr(self, key: str, ttl: timedelta | None = None) -> int:
        ms = ttl_ms(ttl)
        with _unavailable_on_redis_errors("incr"):
            try:
                return int(self._incr_script(keys=[self._k(key)], args=["" if ms is None else ms]))
            except redis.exceptions.ResponseError as exc:
                if "not an integer" not in str(exc):
                    raise
                # Same error type as MemoryStore for a non-integer value.
                raise ValueError(f"value at {key!r} is not an integer counter") from exc

    def admit(self, key: str, at: float, window: float, limit: int) -> bool:
        member = f"{at:.6f}:{uuid.uuid4().hex[:12]}"  # unique, so equal times all count
        with _unavailable_on_redis_errors("admit"):
            return bool(self._admit_script(keys=[self._k(key)], args=[repr(at), repr(window), limit, member]))

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # a health check reports failure; it must not crash the probe
            return False

    def close(self) -> None:
        self._client.close()

    def _k(self, key: str) -> str:
        return self._prefix + key
