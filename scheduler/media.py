"""Photos sent through a platform are fetched here, off the callback path.

Claim in one short transaction, download with no database lock held, record in another: a
media/get can take seconds, and a row lock held meanwhile would stall callbacks. A failed
download is tried again with backoff (media ids live three days); a claim whose worker died is
taken again after its lease.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select

from scheduler.ports import Host
from storage.tables import MediaRow

log = logging.getLogger("baoxiu.media")
MAX_ATTEMPTS = 8                       # 30 s doubling: about two hours of tries in all
BASE_BACKOFF = timedelta(seconds=30)
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    ref: str


def fetch_pending(desk: Host, fetchers: Mapping[str, Callable[[str], bytes]], now: datetime,
                  limit: int = 20) -> int:
    if not fetchers:
        return 0
    taken = _claim(desk, list(fetchers), now, limit)
    if not taken:
        return 0
    outcomes = [(c, _download(c, fetchers[c.channel], desk.settings.media_path())) for c in taken]
    done = 0
    with desk.uow() as uow:
        for claimed, outcome in outcomes:
            row = uow.session.get(MediaRow, claimed.id)
            if row is not None and row.status == "fetching":
                done += _record(row, now, outcome)
        uow.commit()
    return done


def _claim(desk: Host, channels: list[str], now: datetime, limit: int) -> list[Claimed]:
    """Due rows (and rows whose fetcher's lease ran out), marked as taken and released at once."""
    stmt = (select(MediaRow).where(MediaRow.status.in_(("pending", "fetching")), MediaRow.channel.in_(channels),
                                   or_(MediaRow.due_at.is_(None), MediaRow.due_at <= now))
            .order_by(MediaRow.id).limit(limit).with_for_update(skip_locked=True))
    with desk.uow() as uow:
        taken = []
        for row in uow.session.scalars(stmt):
            row.status, row.due_at = "fetching", now + LEASE
            taken.append(Claimed(row.id, row.channel, row.ref))
        uow.commit()
    return taken


def _download(claimed: Claimed, fetch: Callable[[str], bytes], root: Path) -> Path | Exception:
    try:
        data = fetch(claimed.ref)
    except Exception as e:  # the platform said no or the network failed: try again after a while
        return e
    name = hashlib.sha256(f"{claimed.channel}:{claimed.ref}".encode()).hexdigest()[:32]
    path = root / claimed.channel / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _record(row: MediaRow, now: datetime, outcome: Path | Exception) -> int:
    if isinstance(outcome, Path):
        row.status, row.path, row.due_at = "done", str(outcome), None
        return 1
    row.attempts += 1
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "dead"
        log.warning("media %s from %s given up after %d attempts (%s)", row.id, row.channel, row.attempts,
                    type(outcome).__name__)
        return 0
    row.status, row.due_at = "pending", now + BASE_BACKOFF * 2 ** (row.attempts - 1)
    log.warning("media %s from %s not fetched (%s); try %d at %s", row.id, row.channel, type(outcome).__name__,
                row.attempts + 1, row.due_at.isoformat(timespec="seconds"))
    return 0
