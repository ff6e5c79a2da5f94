"""The key-value store a settings URL names: process memory, or Redis."""
from __future__ import annotations

from urllib.parse import urlsplit

from storage.kv import KeyValueStore
from storage.kv_memory import MemoryStore
from storage.kv_redis import RedisStore

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
