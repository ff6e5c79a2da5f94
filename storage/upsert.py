"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: rows keyed by a natural key.

Two requests creating the same customer (or site, or counter) at once must both succeed: the
second one's insert waits for the first to commit, then does nothing, and both read the one row.
Nothing is raised, so nothing rolls back and the database logs no unique-violation (whose DETAIL
would quote the key, e.g. a phone number).
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Executable, Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.prepared import Prepared


def insert_ignore(session: Session, table: Any, values: dict[str, Any], keys: Sequence[str] | None = None) -> bool:
    """Insert unless a row with the same `keys` exists (`table`: a mapped class or its Table);
    without `keys`, unless any unique key of the table is taken. True when this call inserted it."""
    return insert_ignore_returning(session, table, values, keys) is not None


def insert_ignore_returning(session: Session, table: Any, values: dict[str, Any],
                            keys: Sequence[str] | None = None, column: str | None = None) -> Any:
    """`insert_ignore`, giving the inserted row's `column` (its id, say), or None when nothing was
    inserted; without `column`, 1."""
    stmt = _insert_ignore(session.get_bind().dialect.name, getattr(table, "__table__", table),
                          tuple(keys) if keys else None, column)
    row = stmt.first(session, values)
    return None if row is None else row[0]


@lru_cache(maxsize=64)
def _insert_ignore(dialect: str, table: Table, keys: tuple[str, ...] | None, column: str | None) -> Prepared:
    """Built once per table, the values passed as parameters (a message's dedup row and replies go
    this way: storage/prepared.py)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 rows for this statement, which read as "inserted".
    return Prepared(insert(table).on_conflict_do_nothing(index_elements=list(keys) if keys else None)
                    .returning(table.c[column] if column else literal_column("1")))


def changed(session: Session, stmt: Executable) -> int:
    """Rows an INSERT / UPDATE / DELETE touched."""
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount
