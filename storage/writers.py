"""First come, first served among one process's SQLite writers.

SQLite's busy handler is not fair: a writer that commits and begins again at once keeps
winning, while another sleeps and retries until its busy timeout runs out ("database is
locked"). Two scheduler threads working in short batches starved each other that way. Writers
of one process therefore queue here before `BEGIN IMMEDIATE`, and the turn is handed to the
longest waiter when a transaction ends; SQLite's own lock still guards against other processes.
"""
from __future__ import annotations

import threading
from collections import deque

TURN = "baoxiu_writer_turn"   # connection info key: this connection holds the turn


class WriterQueue:
    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._mu = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Event] = deque()

    def enter(self) -> bool:
        """Wait for this writer's turn; False when it did not come in time (SQLite's own busy
        wait then decides, so a stuck queue degrades to the old behaviour, never a deadlock)."""
        with self._mu:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(self._timeout):
            return True
        with self._mu:
            if turn.is_set():   # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
        return False

    def leave(self) -> None:
        with self._mu:
            if self._waiters:
                self._waiters.popleft().set()   # the turn passes on; the queue stays held
            else:
                self._held = False
