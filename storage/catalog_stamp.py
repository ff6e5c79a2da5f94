"""A stamp that changes whenever the catalog or the communities do, so every worker knows to reload them.

Kept as a row of `counters` (one primary-key read per message). It is set to a fresh random
value rather than counted up: a database emptied and imported again can never show a stamp a
worker already holds for other contents. Every ORM write to products or communities sets it,
in the writer's own transaction.
"""
from __future__ import annotations

import secrets
from typing import Any, cast

from sqlalchemy import Table, event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.prepared import Prepared
from storage.tables import CommunityRow, CounterRow, ProductRow

NAME = "catalog"
_WATCHED = (ProductRow, CommunityRow)
MEMO = "baoxiu.catalog_snapshot"   # Session.info: the copy this transaction read; a change here drops it


def read(session: Session) -> int:
    return _READ.scalar(session, {}) or 0


def renew(session: Session) -> None:
    # On the connection, not the session: this runs inside before_flush, where a session
    # statement would flush again.
    session.info.pop(MEMO, None)
    conn = session.connection()
    stamp = secrets.randbelow(2**31 - 1) + 1
    if conn.execute(update(CounterRow).where(CounterRow.name == NAME).values(value=stamp)).rowcount == 0:
        conn.execute(insert(CounterRow).values(name=NAME, value=stamp))


def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, _WATCHED) for row in changed):
        renew(session)


_COUNTERS = cast(Table, CounterRow.__table__)
_READ = Prepared(select(_COUNTERS.c.value).where(_COUNTERS.c.name == NAME))


def watch(factory: sessionmaker[Session]) -> None:
    """Renew the stamp in every transaction of `factory` that writes a product or a community."""
    event.listen(factory, "before_flush", _on_flush)
