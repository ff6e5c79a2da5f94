"""Dialog state written while a message is handled reaches the store only if the handling commits.

Otherwise a handling rolled back (and retried by the platform) would find the dialog already
moved on, e.g. a report's draft deleted although its ticket was never created.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from storage.kv import KeyValueStore, Write

_DELETED = object()


class StagedStore:
    """`set`/`delete` are kept until `apply`; reads see them. Everything else goes straight through.

    Keys read ahead (`prefetch`: the sender's own dialog state, under the sender's lock, which no
    one else writes meanwhile) are answered from what one round trip brought."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store
        self._writes: dict[str, tuple[object, timedelta | None]] = {}
        self._read: dict[str, str | None] = {}

    def prefetch(self, keys: Sequence[str]) -> None:
        self._read.update(zip(keys, self.store.get_many(keys)))

    def get(self, key: str) -> str | None:
        if key in self._writes:
            value = self._writes[key][0]
            return None if value is _DELETED else str(value)
        if key in self._read:
            return self._read[key]
        return self.store.get(key)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return [self.get(key) for key in keys]

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        self._writes[key] = (value, ttl)

    def delete(self, key: str) -> None:
        self._writes[key] = (_DELETED, None)

    def delete_if(self, key: str, value: str) -> bool:
        self._read.pop(key, None)
        return self.store.delete_if(key, value)

    def write_many(self, writes: Sequence[Write]) -> None:
        for key, value, ttl in writes:
            self._writes[key] = (_DELETED if value is None else value, ttl)

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        self._read.pop(key, None)
        return self.store.set_if_absent(key, value, ttl)

    def incr(self, key: str, ttl: timedelta | None = None) -> int:
        self._read.pop(key, None)
        return self.store.incr(key, ttl)

    def admit(self, key: str, at: float, window: float, limit: int) -> bool:
        return self.store.admit(key, at, window, limit)

    def ping(self) -> bool:
        return self.store.ping()

    def close(self) -> None:
        """The real store belongs to the desk."""

    def apply(self) -> None:
        """After the commit: the staged writes, in order, in one round trip."""
        self.store.write_many([(key, None if value is _DELETED else str(value), ttl)
                               for key, (value, ttl) in self._writes.items()])
        self._writes.clear()
