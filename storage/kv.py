"""One key-value interface over Redis (multi-process deployments) or process memory.

Small, short-lived shared state lives here: conversation state, dedup markers for
platform retries, shared access tokens, locks and cursors. Every key format is
documented in `Keys`; nothing else should build key strings by hand. The stores
themselves are in storage.kv_memory and storage.kv_redis; storage.kv_open picks one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Protocol, runtime_checkable

__all__ = [
    "KeyValueStore",
    "Keys",
    "StoreUnavailable",
]


# A write of `write_many`: (key, value or None to delete, ttl).
Write = tuple[str, "str | None", "timedelta | None"]


class StoreUnavailable(Exception):
    """The backing store cannot be reached; callers handle one type, not redis-py's."""


@runtime_checkable
class KeyValueStore(Protocol):
    def get(self, key: str) -> str | None: ...

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """The values of `keys`, in order, in one round trip where the store has them."""

    def set(self, key: str, value: str, ttl: timedelta | None = None) -> None:
        """Store `value`; without `ttl` any previous expiry is dropped (Redis SET semantics)."""

    def set_if_absent(self, key: str, value: str, ttl: timedelta | None = None) -> bool:
        """Atomically store unless present; True when this call stored it."""

    def delete(self, key: str) -> None: ...

    def delete_if(self, key: str, value: str) -> bool:
        """Atomically delete the key while it holds `value` (an owner releasing its lock)."""

    def write_many(self, writes: Sequence[Write]) -> None:
        """Sets (a value) and deletes (None), in order, in one round trip where the store has them."""

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
    def binding(channel: str, sender: str) -> str:
        """A verification in progress (绑定): the dialog's key with a suffix, as it has always been."""
        return Keys.dialog(channel, sender) + ":bind"

    @staticmethod
    def inbound(channel: str, msg_id: str) -> str:
        """Dedup fast path for platform retries of one inbound message."""
        return _join("inbound", channel, msg_id)

    @staticmethod
    def token(platform: str, app: str) -> str:
        """A platform access token shared by all processes (platforms rate-limit fetching)."""
        return _join("token", platform, app)

    @staticmethod
    def latest(channel: str, sender: str) -> str:
        """The platform time of the newest message handled from this sender (epoch seconds)."""
        return _join("latest", channel, sender)

    @staticmethod
    def lock(name: str) -> str:
        """A lock taken with set_if_absent plus a TTL so a crashed holder cannot block forever."""
        return _join("lock", name)

    @staticmethod
    def bind_failures(scope: str, ident: str) -> str:
        """Wrong answers while verifying an owner (scope: sender or customer), JSON with the first time."""
        return _join("bindfail", scope, ident)

    @staticmethod
    def choice(channel: str, sender: str) -> str:
        """A question put to a person (which part?): the message to run again with their pick, JSON."""
        return _join("choice", channel, sender)

    @staticmethod
    def focus(role: str, person: str) -> str:
        """The ticket a person last saw or acted on and a question the bot waits on them to answer (JSON)."""
        return _join("focus", role, person)

    @staticmethod
    def status(component: str) -> str:
        """What a long-running part (a platform connection) last reported, JSON, for the check commands."""
        return _join("status", component)

    @staticmethod
    def cursor(name: str) -> str:
        """Where a periodic job left off."""
        return _join("cursor", name)


@lru_cache(maxsize=4096)   # a message asks for its sender's few keys a dozen times
def _join(kind: str, *parts: str) -> str:
    for index, part in enumerate(parts):
        if not part:
            # An empty id would silently merge unrelated people/messages into one key.
            raise ValueError(f"{kind} key component {index} is empty")
        if ":" in part and index < len(parts) - 1:
            raise ValueError(f"{kind} key component {index} must not contain ':': {part!r}")
    return ":".join((kind, *parts))


_NONE = timedelta(0)
_MILLISECOND = timedelta(milliseconds=1)


def ttl_ms(ttl: timedelta | None) -> int | None:
    if ttl is None:
        return None
    if ttl <= _NONE:
        raise ValueError(f"ttl must be positive, got {ttl}")
    # Round up so a sub-millisecond ttl never becomes 0, which Redis rejects.
    return max(1, math.ceil(ttl / _MILLISECOND))
