"""微信客服 pulls that have not finished, kept in the database until one succeeds.

The callback has already answered 200 when a pull fails (sync_msg 45009, a network error, a
database blip while handling), and WeCom sends no new event until the owner writes again: the
scheduler retries the pull, with backoff, from the persisted cursor. The event's token is good
for 10 minutes; a retry after that pulls without it (a stricter rate limit, but it works).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.bootstrap import Desk
from storage.tables import KfPullRow

log = logging.getLogger("baoxiu.wecom")

TOKEN_LIFE = timedelta(minutes=10)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=10)


class PendingPulls:
    def __init__(self, desk: Desk, clock: Callable[[], datetime]) -> None:
        self.desk, self.clock = desk, clock

    def note(self, open_kfid: str, token: str) -> None:
        """An event asks for a pull: due now, with its fresh token (an empty one keeps the old)."""
        now = self.clock()
        with self.desk.uow() as uow:
            row = uow.session.get(KfPullRow, open_kfid, with_for_update=True)
            if row is None:
                row = KfPullRow(open_kfid=open_kfid, attempts=0, last_error="", token="")
                uow.session.add(row)
            if token:
                row.token, row.token_until = token[:256], now + TOKEN_LIFE
            row.due_at = now
            uow.commit()

    def token(self, open_kfid: str) -> str:
        with self.desk.uow() as uow:
            row = uow.session.get(KfPullRow, open_kfid)
            if row is None or row.token_until is None or self.clock() >= row.token_until:
                return ""
            return row.token

    def drop_token(self, open_kfid: str) -> None:
        with self.desk.uow() as uow:
            row = uow.session.get(KfPullRow, open_kfid)
            if row is not None:
                row.token, row.token_until = "", None
                uow.commit()

    def failed(self, open_kfid: str, error: str) -> None:
        now = self.clock()
        with self.desk.uow() as uow:
            row = uow.session.get(KfPullRow, open_kfid, with_for_update=True)
            if row is None:
                row = KfPullRow(open_kfid=open_kfid, attempts=0, token="")
                uow.session.add(row)
            row.attempts += 1
            row.due_at = now + min(FIRST_BACKOFF * 2 ** (row.attempts - 1), MAX_BACKOFF)
            row.last_error = error[:300]
            attempts, due = row.attempts, row.due_at
            uow.commit()
        log.warning("wecom kf pull for %s failed (%s); try %d again at %s", open_kfid, error[:120], attempts,
                    due.isoformat(timespec="seconds"))

    def done(self, open_kfid: str) -> None:
        with self.desk.uow() as uow:
            row = uow.session.get(KfPullRow, open_kfid)
            if row is not None:
                uow.session.delete(row)
                uow.commit()

    def due(self) -> list[str]:
        with self.desk.uow() as uow:
            return list(uow.session.scalars(select(KfPullRow.open_kfid).where(KfPullRow.due_at <= self.clock())))
