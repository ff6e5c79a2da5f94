"""The statements every message runs, compiled once by SQLAlchemy and executed on the driver's cursor.

A chat message runs the same few statements each time (its dedup row, who the sender is, the
replies held for them, the catalog stamp, its reply). Through SQLAlchemy each costs several times
its execution in SQLite: the execution context, parameter construction, the result's wrapping and
the events, per call. A `Prepared` statement keeps SQLAlchemy's own compilation for each database
(the same SQL, the same type handling: times, JSON, sealed text go through the columns' bind
processors) and only skips that per-call machinery.

A statement needs SQLAlchemy at execution when it has IN lists expanded per call or column defaults
computed per row; so does a connection someone watches (`echo`, cursor-execute listeners). Those
run through `Session.execute` as before, so a `Prepared` is always correct and fast where it can
be. Driver errors are raised as SQLAlchemy's (an `OperationalError` is still "try again later" to
the router), and a lost connection is invalidated as SQLAlchemy would.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Executable, exc
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

Row = Sequence[Any]
_HELD = "baoxiu_prepared_connection"   # session info key: (its transaction, its connection)


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]                       # every bound name, in the order a positional driver wants
    given: frozenset[str]                        # names the caller must give
    fixed: Mapping[str, Any]                     # values the statement carries (literals, scalar defaults)
    convert: Mapping[str, Callable[[Any], Any]]  # the columns' bind processors
    positional: bool
    results: tuple[Callable[[Any], Any] | None, ...]   # the result columns' processors (times, JSON, sealed text)

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(raw[i] if f is None else f(raw[i]) for i, f in enumerate(self.results))


class Prepared:
    def __init__(self, stmt: Executable) -> None:
        self.stmt = stmt
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def first(self, session: Session, params: Mapping[str, Any]) -> Row | None:
        """The first row, or None."""
        ran = self._run(session, params)
        if ran is None:
            return session.execute(self.stmt, params).first()
        plan, cursor = ran
        try:
            raw = cursor.fetchone()
            return None if raw is None else plan.row(raw)
        finally:
            cursor.close()   # resets the driver's statement, as SQLAlchemy's first() does

    def all(self, session: Session, params: Mapping[str, Any]) -> list[Row]:
        ran = self._run(session, params)
        if ran is None:
            return list(session.execute(self.stmt, params).all())
        plan, cursor = ran
        try:
            return [plan.row(raw) for raw in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, session: Session, params: Mapping[str, Any]) -> Any:
        row = self.first(session, params)
        return row[0] if row is not None else None

    def rowcount(self, session: Session, params: Mapping[str, Any]) -> int:
        """Rows an INSERT / UPDATE / DELETE touched."""
        ran = self._run(session, params)
        if ran is None:
            return session.execute(self.stmt, params).rowcount  # type: ignore[attr-defined]
        cursor = ran[1]
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _run(self, session: Session, params: Mapping[str, Any]) -> tuple[_Plan, Any] | None:
        """The plan and the driver's cursor after executing; None when SQLAlchemy must run the statement."""
        conn = _connection(session)
        plan = self._plan(conn.dialect, tuple(params))
        if plan is None or _watched(conn) or not plan.given <= params.keys():
            return None   # (a value missing: SQLAlchemy says which, as it always has)
        values = {name: params[name] if name in params else plan.fixed[name] for name in plan.names}
        for name, convert in plan.convert.items():
            values[name] = convert(values[name])
        args: Any = tuple(values[name] for name in plan.names) if plan.positional else values
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(plan.sql, args)
        except conn.dialect.loaded_dbapi.Error as e:
            cursor.close()
            _raise(conn, plan.sql, args, e, dbapi, cursor)
        return plan, cursor

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
        # Compiled for the keys given: an INSERT's column list is the values passed.
        key = (dialect.name, keys)
        if key not in self._plans:
            compiled = self.stmt.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
            self._plans[key] = _planned(compiled, dialect) if isinstance(compiled, SQLCompiler) else None
        return self._plans[key]


def _planned(compiled: SQLCompiler, dialect: Dialect) -> _Plan | None:
    if any(bind.expanding for bind in compiled.bind_names):
        return None
    fixed: dict[str, Any] = {}
    for bind, name in compiled.bind_names.items():
        if bind.callable is not None:
            return None
        if not bind.required:
            fixed[name] = bind.value
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None or not default.is_scalar:   # computed per row: SQLAlchemy's job
            return None
        fixed[column.key] = default.arg   # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ()) if dialect.positional else tuple(compiled.bind_names.values())
    convert = {name: f for name, f in compiled._bind_processors.items() if callable(f)}
    if len(convert) != len(compiled._bind_processors):   # per-element processors of a tuple: SQLAlchemy's job
        return None
    try:   # without the driver's type code, known only once executed: a type that needs it says so
        results = tuple(entry[3]._cached_result_processor(dialect, None) for entry in compiled._result_columns)
    except exc.SQLAlchemyError:
        return None
    return _Plan(compiled.string, names, frozenset(names) - fixed.keys(), fixed, convert, dialect.positional,
                 results)


def _connection(session: Session) -> Connection:
    """The session's connection in its current transaction. A session bound to a connection (a unit
    of work's, storage/uow.py) runs them on it, beginning the transaction the session joins when
    it is first used. Over an engine, SQLAlchemy's `Session.connection()` walks its transaction
    machinery on every call, and a message runs several prepared statements in one transaction:
    the answer is kept for that transaction."""
    bind = session.bind
    if isinstance(bind, Connection):
        if not bind.in_transaction():
            bind.begin()
        return bind
    transaction = session.get_transaction()
    held = session.info.get(_HELD)
    if held is not None and held[0] is transaction is not None and not held[1].invalidated:
        return held[1]
    conn = session.connection()
    session.info[_HELD] = (session.get_transaction(), conn)
    return conn


def transaction_of(session: Session) -> object | None:
    """What stands for the session's current database transaction: a memo kept for it is stale after."""
    bind = session.bind
    return bind.get_transaction() if isinstance(bind, Connection) else session.get_transaction()


def _watched(conn: Connection) -> bool:
    """Someone reads the statements (echo, a cursor-execute listener): give them all of them."""
    dispatch = conn.dispatch
    return bool(conn._echo or dispatch.before_cursor_execute or dispatch.after_cursor_execute)


def _raise(conn: Connection, sql: str, args: Any, e: Any, dbapi: Any, cursor: Any) -> None:
    gone = conn.dialect.is_disconnect(e, dbapi, cursor)
    if gone:
        conn.invalidate(e)
    raise exc.DBAPIError.instance(sql, args, e, conn.dialect.loaded_dbapi.Error,
                                  hide_parameters=conn.engine.hide_parameters, connection_invalidated=gone,
                                  dialect=conn.dialect) from e
