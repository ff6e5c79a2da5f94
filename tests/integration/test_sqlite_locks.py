"""SQLite for a server: readers never wait for a writer; writers still queue for the write lock."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from storage import db
from storage.tables import CounterRow
from storage.uow import SqlUnitOfWork


def test_a_read_only_unit_of_work_reads_while_a_writer_holds_the_lock_and_a_second_writer_is_refused(
        tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'locks.db'}", busy_timeout_ms=100)
    db.upgrade(engine)
    writers, readers = db.session_factory(engine), db.session_factory(engine, read_only=True)
    try:
        with SqlUnitOfWork(writers) as holder:
            holder.session.add(CounterRow(name="ticket:x", value=1))
            holder.session.flush()   # the first writer holds the write lock from BEGIN IMMEDIATE on
            with SqlUnitOfWork(readers) as reader:
                assert reader.session.scalar(select(CounterRow.value).where(CounterRow.name == "ticket:x")) is None
            with pytest.raises(OperationalError, match="locked"), SqlUnitOfWork(writers) as second:
                second.session.scalar(select(CounterRow.value))
            holder.commit()
        with SqlUnitOfWork(readers) as reader:
            assert reader.session.scalar(select(CounterRow.value).where(CounterRow.name == "ticket:x")) == 1
    finally:
        engine.dispose()


def test_the_engine_runs_wal_with_the_chosen_synchronous_level(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sync.db'}", synchronous="normal")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1   # NORMAL
    finally:
        engine.dispose()
