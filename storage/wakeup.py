"""Waking the worker process when a web process (`serve --no-scheduler`) queued notices.

PostgreSQL: the web process sends `NOTIFY`, the worker `LISTEN`s on a connection of its own.
SQLite: the commit itself is the signal; the worker watches the file's `data_version`, which
changes when any other connection commits (a pragma, no table read). Either way the web
process sends nothing itself and nobody polls a table per request.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, text

log = logging.getLogger("baoxiu.scheduler")

CHANNEL = "baoxiu_outbox"
SQLITE_EVERY = 0.2      # seconds between two looks at data_version
PG_EVERY = 1.0          # seconds a LISTEN waits before looking at the stop flag again


def notify(engine: Engine) -> None:
    """Tell the worker there is something to deliver (a no-op on SQLite: the commit tells it)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn.execute(text(f"NOTIFY {CHANNEL}"))
        conn.commit()


class Listener:
    """On a thread of its own, calls `wake` whenever a web process says there is work."""

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self._engine, self._wake = engine, wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="baoxiu-wakeup", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        watch = self._listen if self._engine.dialect.name == "postgresql" else self._watch_file
        while not self._stop.is_set():
            try:
                watch()
            except Exception as e:   # database restarted: listen again; the ticks deliver meanwhile
                log.warning("worker wake-up listener lost its connection (%s); listening again", type(e).__name__)
                self._stop.wait(PG_EVERY)

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
            while not self._stop.is_set():
                # Several notifications that arrived together are one pass.
                if any(True for _ in conn.notifies(timeout=PG_EVERY, stop_after=1)):
                    self._wake()
        finally:
            raw.invalidate()   # a LISTENing session must not go back to the pool

    def _watch_file(self) -> None:
        raw = self._engine.raw_connection()
        try:
            seen = _data_version(raw)
            while not self._stop.wait(SQLITE_EVERY):
                now = _data_version(raw)
                if now != seen:
                    seen = now
                    self._wake()
        finally:
            raw.close()


def _data_version(raw) -> int:  # type: ignore[no-untyped-def]
    cur = raw.cursor()
    try:
        cur.execute("PRAGMA data_version")
        return int(cur.fetchone()[0])
    finally:
        cur.close()
