"""Leases in the database: taken, renewed and handed back with one conditional statement each, so
two processes asking at the same moment never both hold one (SQLite and PostgreSQL alike)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from storage.tables import LeaseRow
from storage.upsert import changed, insert_ignore


def take(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease: True when `holder` holds it until now + ttl.

    It is free when nobody holds it or the last holder let it run out; a holder renews its own."""
    until = now + ttl
    if insert_ignore(session, LeaseRow, {"name": name, "holder": holder, "expires_at": until}, ["name"]):
        return True
    stmt = (update(LeaseRow).where(LeaseRow.name == name,
                                   or_(LeaseRow.holder == holder, LeaseRow.expires_at <= now))
            .values(holder=holder, expires_at=until))
    return changed(session, stmt) == 1


def give_back(session: Session, name: str, holder: str) -> None:
    """A holder stopping cleanly frees the lease at once; another takes it without waiting it out."""
    session.execute(delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))


def holder_of(session: Session, name: str, now: datetime) -> tuple[str, datetime] | None:
    """Who holds the lease and until when; None when it is free."""
    row = session.get(LeaseRow, name)
    if row is None or row.expires_at <= now:
        return None
    return row.holder, row.expires_at
