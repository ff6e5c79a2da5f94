"""Photos sent through a platform are fetched here, off the callback path."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import Desk
from storage.tables import MediaRow

log = logging.getLogger("baoxiu.media")
MAX_ATTEMPTS = 5


def fetch_pending(desk: Desk, fetchers: Mapping[str, Callable[[str], bytes]], now: datetime,
                  limit: int = 20) -> int:
    if not fetchers:
        return 0
    done = 0
    with desk.uow() as uow:
        stmt = (select(MediaRow).where(MediaRow.status == "pending", MediaRow.channel.in_(list(fetchers)))
                .order_by(MediaRow.id).limit(limit).with_for_update(skip_locked=True))
        for row in uow.session.scalars(stmt):
            done += _fetch(row, fetchers[row.channel], desk.settings.media_path())
        uow.commit()
    return done


def _fetch(row: MediaRow, fetch: Callable[[str], bytes], root: Path) -> int:
    try:
        data = fetch(row.ref)
    except Exception as e:  # the platform said no or the network failed: try again next tick
        row.attempts += 1
        row.status = "dead" if row.attempts >= MAX_ATTEMPTS else "pending"
        log.warning("media %s from %s not fetched (%s)", row.id, row.channel, type(e).__name__)
        return 0
    name = hashlib.sha256(f"{row.channel}:{row.ref}".encode()).hexdigest()[:32]
    path = root / row.channel / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row.status, row.path = "done", str(path)
    return 1
