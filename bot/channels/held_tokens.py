"""Access tokens this process holds, beside the shared copy in the key-value store.

A send would otherwise read and open (unseal) the shared copy every time. A token is held until
`margin` seconds before it expires, the same margin at which the shared copy is refreshed; a token
the platform refused is let go, so the next call reads the store (where another process may have put
a newer one) before fetching.
"""
from __future__ import annotations

import threading


class HeldTokens:
    def __init__(self, margin: float) -> None:
        self._margin = margin
        self._held: dict[str, tuple[str, float]] = {}   # store key -> (token, expires at, epoch seconds)
        self._lock = threading.Lock()

    def get(self, key: str, now: float) -> str | None:
        held = self._held.get(key)
        return held[0] if held is not None and held[1] - now > self._margin else None

    def keep(self, key: str, token: str, expires_at: float) -> None:
        self._held[key] = (token, expires_at)

    def drop(self, key: str, refused: str) -> None:
        with self._lock:   # not a newer token another thread kept meanwhile
            if self._held.get(key, ("", 0.0))[0] == refused:
                del self._held[key]
