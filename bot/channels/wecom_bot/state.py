"""What the AI bot's connection last did, for `baoxiu wecom check` in another process.

Kept in the key-value store (Redis when several processes run) with a day's expiry: connected,
waiting (another process holds it), refused (bot_id / secret), kicked (a connection outside
this deployment subscribed with the same bot), down (the socket dropped; reconnecting).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

from storage.kv import KeyValueStore, Keys, StoreUnavailable

KEY = Keys.status("wecom_bot")
KEPT = timedelta(days=1)


def reporter(store: KeyValueStore, clock: Callable[[], datetime]) -> Callable[[str, str], None]:
    def report(what: str, detail: str) -> None:
        try:
            store.set(KEY, json.dumps({"state": what, "detail": detail[:200], "at": clock().isoformat()}), ttl=KEPT)
        except StoreUnavailable:
            pass   # only the check command reads it
    return report


def last(store: KeyValueStore) -> dict[str, str] | None:
    try:
        raw = store.get(KEY)
    except StoreUnavailable:
        return None
    return json.loads(raw) if raw else None
