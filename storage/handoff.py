"""Replies handed from a callback to this process's delivery thread, in memory.

A callback's replies used to be queued "pending", and the delivery pass it woke claimed them
again from the database: a transaction (a read, an update, a durable commit) per pass, before
anything was sent. When the worker loop runs in the same process, the callback writes its
replies already taken instead, "sending" under a lease as a claim leaves a row, and hands them
over here once its transaction has committed. The delivery thread sends them and records the
outcome as it does for claimed rows.

The database stays the authority: should this process die before sending, the lease runs out
and any delivery pass (another worker's, or this one's after a restart) takes the rows as it
takes any abandoned claim. A row whose lease is about to run out is left to those passes, not
sent from here, so it never goes out from both.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from storage.outbox import Due

MARGIN = timedelta(seconds=10)   # a hand-over this close to its lease's end is left to the claims


class Handoff:
    """`wake` asks the delivery thread for a pass."""

    def __init__(self, lease: timedelta, wake: Callable[[], None]) -> None:
        self.lease = lease
        self._wake = wake
        self._rows: deque[tuple[datetime, Due]] = deque()
        self._mu = threading.Lock()

    def until(self, written: datetime) -> datetime:
        """The lease of rows written taken at `written`."""
        return written + self.lease

    def hand(self, rows: list[Due], written: datetime) -> None:
        """Rows written taken at `written`, after their transaction committed; the delivery
        thread is woken for them, whatever the channel does after."""
        if rows:
            with self._mu:
                self._rows.extend((self.until(written), row) for row in rows)
            self._wake()

    def take(self, now: datetime) -> list[Due]:
        """Everything handed over so far whose lease still holds, oldest first."""
        with self._mu:
            held, self._rows = self._rows, deque()
        return [row for until, row in held if now < until - MARGIN]
