"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: rows keyed by a natural key.

Two requests creating the same customer (or site, or counter) at once must both succeed: the
second one's insert waits for the first to commit, then does nothing, and both read the one row.
Nothing is raised, so nothing rolls back and the database logs no unique-violation (whose DETAIL
would quote the key, e.g. a phone number).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CursorResult, Executable, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Any, values: dict[str, Any], keys: Sequence[str] | None = None) -> bool:
    """Insert unless a row with the same `keys` exists (`table`: a mapped class or its Table);
    without `keys`, unless any unique key of the table is taken. True when this call inserted it."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: psycopg reports -1 rows for this statement, which read as "inserted".
    stmt: Executable = (insert(table).values(**values)
                        .on_conflict_do_nothing(index_elements=list(keys) if keys else None)
                        .returning(literal_column("1")))
    return session.execute(stmt).first() is not None


def changed(session: Session, stmt: Executable) -> int:
    """Rows an INSERT / UPDATE / DELETE touched."""
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount
