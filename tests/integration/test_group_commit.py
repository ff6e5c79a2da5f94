"""Group commit: a commit returns only once the log is on disk, and commits that land while an
fsync runs share the next one instead of paying one each."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import db, group_sync
from storage.group_sync import WalSync
from storage.tables import CounterRow
from storage.uow import SqlUnitOfWork

WAIT = 10   # seconds: only a hung test ever waits this long


def test_a_commit_on_a_database_file_returns_after_its_log_is_flushed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    flushed: list[str] = []
    real = group_sync._sync
    monkeypatch.setattr(group_sync, "_sync", lambda fd: (flushed.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd)))
    engine = db.make_engine(f"sqlite:///{tmp_path / 'grouped.db'}")
    db.upgrade(engine)
    try:
        with engine.connect() as conn:   # SQLite no longer fsyncs inside COMMIT, with the lock held
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        flushed.clear()
        with SqlUnitOfWork(db.session_factory(engine)) as uow:
            uow.session.add(CounterRow(name="ticket:x", value=1))
            uow.commit()
            assert flushed == [str(tmp_path / "grouped.db-wal")]
        with SqlUnitOfWork(db.session_factory(engine, read_only=True)) as uow:
            assert uow.session.scalar(select(CounterRow.value).where(CounterRow.name == "ticket:x")) == 1
        assert len(flushed) == 1   # a reader flushes nothing
    finally:
        engine.dispose()


def test_commits_made_during_an_fsync_wait_for_the_next_one_and_share_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_flush(path: str) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            started.set()
            assert release.wait(WAIT)

    monkeypatch.setattr(group_sync, "_flush", slow_flush)
    wal = WalSync(str(tmp_path / "x.db"))
    waiting = threading.Semaphore(0)

    class Counted(threading.Condition):
        def wait(self, timeout: float | None = None) -> bool:
            waiting.release()   # still holding the lock: the waiter is in line once it is let go
            return super().wait(timeout)

    wal._turn = Counted(wal._mu)
    done: list[str] = []
    first = threading.Thread(target=lambda: (wal.committed(), done.append("first")))
    first.start()
    assert started.wait(WAIT)
    later = [threading.Thread(target=lambda n=n: (wal.committed(), done.append(f"later{n}"))) for n in range(3)]
    for t in later:
        t.start()
    for _ in later:
        assert waiting.acquire(timeout=WAIT)
    assert done == []                 # nobody returns before the fsync that covers them
    release.set()
    for t in (first, *later):
        t.join(WAIT)
    assert done[0] == "first" and sorted(done[1:]) == ["later0", "later1", "later2"]
    assert len(calls) == 2            # four commits, two fsyncs


def test_a_failed_fsync_fails_the_commit_and_the_next_commit_tries_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = iter([OSError(5, "Input/output error"), None])

    def flaky(path: str) -> None:
        failure = next(outcomes)
        if failure:
            raise failure

    monkeypatch.setattr(group_sync, "_flush", flaky)
    wal = WalSync(str(tmp_path / "x.db"))
    with pytest.raises(OSError):
        wal.committed()
    wal.committed()   # flushed this time, covering both
