"""The in-process key-value store, for single-process runs and tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from storage.kv import Write, ttl_ms


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

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.get(key) for key in keys]

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

    def delete_if(self, key: str, value: str) -> bool:
        with self._lock:
            entry = self._live_entry(key, self._clock())
            if entry is None or entry.value != value:
                return False
            del self._data[key]
            return True

    def write_many(self, writes: Sequence[Write]) -> None:
        for key, value, ttl in writes:
            if value is None:
                self.delete(key)
            else:
                self.set(key, value, ttl)

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
        ms = ttl_ms(ttl)
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
