"""Engine creation and schema migrations (Alembic), run by every command that needs the database."""
from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, create_engine, event, exc, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from storage import catalog_stamp
from storage.group_sync import WalSync
from storage.writers import TURN, WriterQueue

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "baoxiu_read_only"   # execution option of the read-only session factory
WRITING = "baoxiu_writing"        # connection info key: a writing transaction is open
Synchronous = Literal["full", "normal"]
POOL = 20


def make_engine(url: str, busy_timeout_ms: int = 30000, synchronous: Synchronous = "full") -> Engine:
    """SQLite in WAL mode, with `synchronous` FULL by default: each commit is on disk before the
    platform is answered, so a power cut never loses a message the platform will not send again
    (NORMAL saves that fsync and can lose the last commits on power loss, never on a crash).
    FULL on a database file is kept by group commit (storage/group_sync.py): the same guarantee,
    one fsync for the commits of many threads, taken after the write lock is released.
    Writers of this process take turns (storage/writers.py), and a callback's write and a
    scheduler batch (25 tickets, `scheduler.jobs.BATCH`) each hold the lock for milliseconds;
    `busy_timeout_ms` is only the ceiling of a wait, for a starved machine."""
    if url.startswith("sqlite"):
        # Connections are kept for as many threads as a busy server runs at once (the web server's
        # worker threads, the scheduler's): one opened above the pool's size is closed when
        # returned, and the next opens anew, reading the schema again on its first statement.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
                               pool_size=POOL)
        wal = _group_sync(engine) if synchronous == "full" else None
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms, synchronous, wal is not None))
        writers = WriterQueue(busy_timeout_ms / 1000)
        event.listen(engine, "begin", partial(_sqlite_begin, writers))
        event.listen(engine, "commit", partial(_sqlite_end, writers, wal, "commit"))
        event.listen(engine, "rollback", partial(_sqlite_end, writers, None, "rollback"))
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    event.listen(engine, "connect", _postgres_session)
    return engine


def _postgres_session(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # JIT compiles a plan the moment its cost estimate looks large (the figures' grouped
    # counts): seconds of compiling for queries that run in milliseconds. Off for our queries.
    with dbapi_conn.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_conn.commit()


def _group_sync(engine: Engine) -> WalSync | None:
    """Group commit for a database file; an in-memory or URI-named one keeps SQLite's own FULL."""
    name = engine.url.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return WalSync(str(Path(name).resolve()))


def _sqlite_pragmas(busy_timeout_ms: int, synchronous: Synchronous, grouped: bool,  # type: ignore[no-untyped-def]
                    dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cur = dbapi_conn.cursor()
    wal = cur.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    # Grouped, a commit leaves the fsync of the log to storage.group_sync; a database that cannot
    # run a log (a file system without shared memory) keeps FULL's own.
    cur.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' and not (grouped and wal) else 'NORMAL'}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cur.close()


def _sqlite_begin(writers: WriterQueue, conn) -> None:  # type: ignore[no-untyped-def]
    # SQLite has no row locks: a writing transaction takes the write lock at BEGIN so two
    # writers queue up instead of one failing halfway (what makes grab/accept race-safe).
    # A read-only one reads its WAL snapshot and locks nothing.
    # On the driver's connection: SQLAlchemy's statement machinery would cost more than the BEGIN
    # (every transaction starts here), and a failing BEGIN is still raised as SQLAlchemy's error.
    if conn.get_execution_options().get(READ_ONLY):
        _begin(conn, "BEGIN")
        return
    conn.info[WRITING] = True
    if writers.enter():
        conn.info[TURN] = True
    try:
        _begin(conn, "BEGIN IMMEDIATE")
    except Exception:
        _sqlite_end(writers, None, "rollback", conn)
        raise


def _begin(conn, sql: str) -> None:  # type: ignore[no-untyped-def]
    try:
        conn.connection.dbapi_connection.execute(sql)
    except sqlite3.Error as e:
        raise exc.DBAPIError.instance(sql, (), e, sqlite3.Error) from e


def _sqlite_end(writers: WriterQueue, wal: WalSync | None, how: str, conn) -> None:  # type: ignore[no-untyped-def]
    """SQLAlchemy calls this just before it commits or rolls back. A writing transaction is ended
    here first, so the writer the turn passes to finds SQLite's lock free (handed over before the
    end, its BEGIN IMMEDIATE met the lock still held and SQLite's busy handler slept 1 ms or
    more), and a commit then waits for its group's fsync with the lock already free.
    SQLAlchemy's own COMMIT / ROLLBACK after this finds no transaction and does nothing, or, if
    ending it failed here, ends it itself and raises the error as its own."""
    if not conn.info.pop(WRITING, False):
        return
    committed = False
    try:
        dbapi = conn.connection.dbapi_connection
        if dbapi is not None and dbapi.in_transaction and how == "commit":
            dbapi.commit()
            committed = True
        elif dbapi is not None and dbapi.in_transaction:
            dbapi.rollback()
    except sqlite3.Error:
        pass
    finally:
        if conn.info.pop(TURN, False):
            writers.leave()
    if committed and wal is not None:
        wal.committed()


def session_factory(engine: Engine, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for units of work; `read_only` ones never take SQLite's write lock (and must not write)."""
    factory = sessionmaker(engine.execution_options(**{READ_ONLY: True}) if read_only else engine,
                           expire_on_commit=False)
    catalog_stamp.watch(factory)
    return factory


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config   # see upgrade
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring a fresh or an older database up to date; a current one is left alone. Alembic is
    loaded only when there is something to migrate: every command starts here, and Alembic would
    stay in the memory of a long-running `serve` (about 10 MB) for nothing."""
    if revision == "head" and current_revision(engine) == newest_revision():
        return
    from alembic import command
    command.upgrade(alembic_config(engine), revision)


def newest_revision() -> str:
    """The newest migration's revision: they are numbered 0001, 0002, …, each revising the one
    before it, and named after their number (tests/integration/test_migrations.py checks both)."""
    return max(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (Alembic's own record); None before the first upgrade."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
