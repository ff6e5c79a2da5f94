"""One key-value interface over Redis (multi-process deployments) or process memory.

Small, short-lived shared state lives here: conversation state, dedup markers for
platform retries, shared access tokens, locks and cursors. Every key format is
documented in `Keys`; nothing else should build key strings by hand.
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "KeyValueStore",
    "Keys",
    "MemoryStore",
    "RedisStore",
    "StoreUnavailable",
    "open_store",
]


class StoreUnavailable(Exception):
    """The backing store cannot be reached; callers handle one type, not redis-py's."""


@runtime_checkable
class KeyValueStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        """Store `value`; without `ttl` any previous expiry is dropped (Redis SET semantics)."""

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        """Atomically store unless present; True when this call stored it."""

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: timedelta | None = None) -> int:
        """Atomic counter; `ttl` applies only when this call creates the key."""

    def admit(self, key: str, at: float, window: float, limit: int) -> bool:
        """Sliding-window admission, atomic: True (and `at` recorded) when fewer than `limit`
        earlier admissions fall in (at - window, at]. Times are the caller's clock, in seconds."""

    def ping(self) -> bool:
        """True when reachable, False when not; never raises."""

    def close(self) -> None: ...


class Keys:
    """Every key format in one place. Stores add their own prefix (e.g. "baoxiu:").

    Only the last component may contain ':' -- a colon earlier would let two
    different (a, b) pairs produce the same key.
    """

    @staticmethod
    def dialog(channel: str, sender: str) -> str:
        """A person's conversation state (JSON), with a TTL so abandoned chats expire."""
        return _join("dialog", channel, sender)

    @staticmethod
    def inbound(channel: str, msg_id: str) -> str:
        """Dedup fast path for platform retries of one inbound message."""
        return _join("inbound", channel, msg_id)

    @staticmethod
    def token(platform: str, app: str) -> str:
        """A platform access token shared by all processes (platforms rate-limit fetching)."""
        return _join("token", platform, app)

    @staticmethod
    def lock(name: str) -> str:
        """A lock taken with set_if_absent plus a TTL so a crashed holder cannot block forever."""
        return _join("lock", name)

    @staticmethod
    def bind_failures(scope: str, ident: str) -> str:
        """Wrong answers while verifying an owner (scope: sender or customer), JSON with the first time."""
        return _join("bindfail", scope, ident)

    @staticmethod
    def cursor(name: str) -> str:
        """Where a periodic job left off."""
        return _join("cursor", name)


def _join(kind: str, *parts: str) -> str:
    for index, part in enumerate(parts):
        if not part:
            # An empty id would silently merge unrelated people/messages into one key.
            raise ValueError(f"{kind} key component {index} is empty")
        if ":" in part and index < len(parts) - 1:
            raise ValueError(f"{kind} key component {index} must not contain ':': {part!r}")
    return ":".join((kind, *parts))


def _ttl_ms(ttl: timedelta | None) -> int | None:
    if ttl is None:
        return None
    if ttl <= timedelta(0):
        raise ValueError(f"ttl must be positive, got {ttl}")
    # Round up so a sub-millisecond ttl never becomes 0, which Redis rejects.
    return max(1, math.ceil(ttl / timedelta(milliseconds=1)))


@dataclass(slots=True)
class _Entry:
    value: str
    expires_at: float | None  # clock() reading; None means no expiry


class MemoryStore:
    """In-process store for single-process runs and tests.

    TTLs use the injected monotonic clock so tests advance time instead of sleeping.
    """

    # Sweep expired entries once writes since the last sweep reach the size left by
    # that sweep: memory stays within about twice the live data at O(1) amortised cost.
    _MIN_WRITES_BETWEEN_PURGES = 256

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, _Entry] = {}
        self._writes_since_purge = 0
        self._writes_before_purge = self._MIN_WRITES_BETWEEN_PURGES

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._live_entry(key, self._clock())
            return None if entry is None else entry.value

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        expires_at = self._expiry(ttl)
        with self._lock:
            self._write(key, _Entry(value, expires_at))

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        expires_at = self._expiry(ttl)
        with self._lock:
            if self._live_entry(key, self._clock()) is not None:
                return False
            self._write(key, _Entry(value, expires_at))
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: timedelta | None = None) -> int:
        expires_at = self._expiry(ttl)
        with self._lock:
            entry = self._live_entry(key, self._clock())
            if entry is None:
                self._write(key, _Entry("1", expires_at))
                return 1
            count = _parse_counter(key, entry.value) + 1
            entry.value = str(count)  # keeps the expiry set at creation, like Redis INCR
            return count

    def admit(self, key: str, at: float, window: float, limit: int) -> bool:
        with self._lock:
            entry = self._live_entry(key, self._clock())
            times = [t for t in (json.loads(entry.value) if entry else []) if t > at - window]
            if len(times) >= limit:
                return False
            self._write(key, _Entry(json.dumps([*times, at]), self._clock() + 2 * window))
            return True

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release; kept for interface parity."""

    def _expiry(self, ttl: timedelta | None) -> float | None:
        ms = _ttl_ms(ttl)
        return None if ms is None else self._clock() + ms / 1000

    def _live_entry(self, key: str, now: float) -> _Entry | None:
        entry = self._data.get(key)
        if entry is not None and _expired(entry, now):
            del self._data[key]
            return None
        return entry

    def _write(self, key: str, entry: _Entry) -> None:
        self._data[key] = entry
        self._writes_since_purge += 1
        if self._writes_since_purge >= self._writes_before_purge:
            self._purge_expired()

    def _purge_expired(self) -> None:
        now = self._clock()
        for key in [k for k, e in self._data.items() if _expired(e, now)]:
            del self._data[key]
        self._writes_since_purge = 0
        self._writes_before_purge = max(self._MIN_WRITES_BETWEEN_PURGES, len(self._data))


def _expired(entry: _Entry, now: float) -> bool:
    return entry.expires_at is not None and now >= entry.expires_at


def _parse_counter(key: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"value at {key!r} is not an integer counter") from None


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

    def get(self, key: str) -> str | None:
        with _unavailable_on_redis_errors("get"):
            return self._client.get(self._k(key))

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        with _unavailable_on_redis_errors("set"):
            self._client.set(self._k(key), value, px=_ttl_ms(ttl))

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        with _unavailable_on_redis_errors("set_if_absent"):
            # SET NX answers None (not False) when the key already exists.
            return bool(self._client.set(self._k(key), value, nx=True, px=_ttl_ms(ttl)))

    def delete(self, key: str) -> None:
        with _unavailable_on_redis_errors("delete"):
            self._client.delete(self._k(key))

    def incr(self, key: str, ttl: timedelta | None = None) -> int:
        ms = _ttl_ms(ttl)
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


_REDIS_SCHEMES = ("redis", "rediss")


def open_store(url: str | None) -> KeyValueStore:
    """"" or None -> MemoryStore; redis:// or rediss:// (TLS) -> RedisStore."""
    if url is None or not url.strip():
        return MemoryStore()
    # Only the scheme is ever echoed back: the url may carry a password.
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme in _REDIS_SCHEMES:
        return RedisStore(url.strip())
    shown = f"{scheme!r}" if scheme else "no scheme"
    raise ValueError(
        f"unsupported key-value store url scheme: {shown}; "
        "expected redis:// or rediss://, or empty for the in-memory store"
    )
