"""Durable SQLite commits with one fsync for many (group commit).

With `synchronous` FULL, SQLite fsyncs the write-ahead log inside every COMMIT while it holds
the write lock: a busy server pays one fsync per message, and every other writer waits through
it. Instead the connections run NORMAL (a commit only writes its frames to the log) and the
committing thread, once the lock is released, waits here until the log is on disk. Whoever
finds no fsync under way starts one, and it covers every commit written before it started;
the commits that land meanwhile are covered by the next. A commit still returns only when it
is as durable as FULL makes it: the platform is answered after that, never before.

The fsync goes to the log file itself, opened by name: Linux flushes a file's data whichever
descriptor asks.
"""
from __future__ import annotations

import os
import threading

_sync = getattr(os, "fdatasync", os.fsync)   # the log's size change is still flushed


class WalSync:
    def __init__(self, database: str) -> None:
        self.wal = database + "-wal"
        self._mu = threading.Lock()
        self._turn = threading.Condition(self._mu)
        self._written = 0   # commits written to the log so far
        self._synced = 0    # of which this many are known to be on disk
        self._syncing = False

    def committed(self) -> None:
        """Called right after a commit wrote its frames; returns once they are on disk."""
        with self._mu:
            self._written += 1
            mine = self._written
            while self._synced < mine:
                if self._syncing:
                    self._turn.wait()
                    continue
                self._sync_for_all()

    def _sync_for_all(self) -> None:
        # Holding the lock on entry and exit; it is let go during the fsync itself.
        self._syncing, covered = True, self._written
        self._mu.release()
        try:
            _flush(self.wal)
        finally:
            self._mu.acquire()
            self._syncing = False
            self._turn.notify_all()
        self._synced = max(self._synced, covered)


def _flush(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return   # the last connection closed and checkpointed the log into the database, synced
    try:
        _sync(fd)
    finally:
        os.close(fd)
