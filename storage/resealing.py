"""`baoxiu security rotate-key`: every sealed field re-sealed, every lookup hash re-made, under the
newest key. Values written in clear before a key was set are sealed too (masked text stays as it is).
Console owners' ids, keyed hashes of their phones, are made again under the newest key."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, Table, select, type_coerce, update
from sqlalchemy.orm import Session

from storage import sealing
from storage.identities import rehash_console_owners
from storage.sealing import PREFIX, Masked, Sealed
from storage.tables import Base, CustomerRow, SiteRow, place_lookup

BATCH = 500


def reseal_all(session: Session) -> dict[str, int]:
    """Rows rewritten, by table."""
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Sealed)]
        if columns:
            counts[table.name] = _reseal(session, table, columns)
    for customer in session.scalars(select(CustomerRow)):
        customer.phone_hash = sealing.current().lookup(customer.phone)
    for site in session.scalars(select(SiteRow)):
        site.place_hash = place_lookup(site.community, site.building, site.unit, site.room)
    session.flush()
    counts["console identities"] = rehash_console_owners(session)
    return counts


def _reseal(session: Session, table: Table, columns: list[Column[Any]]) -> int:
    ring, key, done, last = sealing.current(), table.primary_key.columns.values()[0], 0, None
    raw = [type_coerce(c, String).label(c.name) for c in columns]   # as stored: not opened
    while True:
        stmt = select(key, *raw).order_by(key).limit(BATCH)
        rows = session.execute(stmt if last is None else stmt.where(key > last)).all()
        if not rows:
            return done
        for row in rows:
            new = {c.name: _resealed(ring, c, v) for c, v in zip(columns, row[1:]) if v}
            new = {n: v for n, v in new.items() if v != getattr(row, n)}
            if new:
                session.execute(update(table).where(key == row[0]).values(**new))
                done += 1
        last = rows[-1][0]


def _resealed(ring: sealing.Keyring, column: Column[Any], value: str) -> str:
    if value.startswith(PREFIX):
        return ring.reseal(value)
    return value if isinstance(column.type, Masked) else ring.seal(value)
