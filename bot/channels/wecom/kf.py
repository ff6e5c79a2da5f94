"""微信客服 pull: on kf_msg_or_event, sync_msg page by page from the persisted cursor.

The cursor is saved after each page, so a restart neither skips nor repeats a page; a page
handled twice (crash before the save) is harmless because `handle` dedups on msgid.
One process pulls an account at a time; an event arriving meanwhile asks it to pull again.
A pull that fails stays in `kf_pulls` until a retry from the scheduler succeeds.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.bootstrap import Desk
from bot.channels.wecom.client import ApiError, WecomApi
from bot.channels.wecom.inbound import Parsed, parse_kf
from bot.channels.wecom.pulls import PendingPulls
from bot.channels.wecom.state import KfWindow, WecomKeys
from storage.kv import Keys
from storage.tables import CursorRow

log = logging.getLogger("baoxiu.wecom")

MAX_PAGES = 100      # a bound on one pull; the next event resumes from the saved cursor
PAGE_LIMIT = 1000
LOCK_TTL = timedelta(minutes=2)
TOKEN_REFUSED = frozenset({95007})   # the event's token is spent or expired: pull without it


class KfSync:
    def __init__(self, desk: Desk, api: WecomApi, window: KfWindow, on_message: Callable[[Parsed], object]) -> None:
        self.desk, self.api, self.window, self.on_message = desk, api, window, on_message
        self.pending = PendingPulls(desk, desk.clock)

    def run(self, open_kfid: str, token: str) -> int:
        """On an event: remember the pull (so a failure is retried by the scheduler), then pull."""
        self.pending.note(open_kfid, token)
        return self.retry(open_kfid)

    def retry_due(self) -> int:
        """The scheduler's part: pulls that failed before and whose backoff is over."""
        return sum(self.retry(open_kfid) for open_kfid in self.pending.due())

    def retry(self, open_kfid: str) -> int:
        """Pull until nothing is left; returns how many customer messages were handled."""
        store, lock = self.desk.store, Keys.lock(f"wecom-kf-sync-{open_kfid}")
        store.set(WecomKeys.kf_rerun(open_kfid), "1", ttl=timedelta(minutes=10))
        handled = 0
        while store.set_if_absent(lock, "1", ttl=LOCK_TTL):
            try:
                store.delete(WecomKeys.kf_rerun(open_kfid))
                handled += self._pull(open_kfid, self.pending.token(open_kfid))
                if store.get(WecomKeys.kf_rerun(open_kfid)) is None:
                    self.pending.done(open_kfid)
                    break
            except Exception as e:  # the row stays: the scheduler pulls again from the saved cursor
                self._failed(open_kfid, e)
                break
            finally:
                store.delete(lock)
        return handled

    def _failed(self, open_kfid: str, e: Exception) -> None:
        if isinstance(e, ApiError) and e.code in TOKEN_REFUSED:
            self.pending.drop_token(open_kfid)
        self.pending.failed(open_kfid, str(e) if isinstance(e, ApiError) else type(e).__name__)

    def _pull(self, open_kfid: str, token: str) -> int:
        handled = 0
        for _ in range(MAX_PAGES):
            page = self._page(open_kfid, token)
            for item in page.get("msg_list") or []:
                handled += self._item(open_kfid, item)
            self._save_cursor(open_kfid, str(page.get("next_cursor") or ""))
            # has_more can be 1 on an empty page: keep going on has_more, not on the list.
            if not page.get("has_more"):
                break
        return handled

    def _page(self, open_kfid: str, token: str) -> dict[str, Any]:
        body: dict[str, Any] = {"limit": PAGE_LIMIT, "open_kfid": open_kfid, "voice_format": 0}
        cursor = self._cursor(open_kfid)
        if cursor:
            body["cursor"] = cursor
        if token:
            body["token"] = token
        return self.api.post("kf", "/cgi-bin/kf/sync_msg", body)

    def _item(self, open_kfid: str, item: dict[str, Any]) -> int:
        parsed = parse_kf(item)
        if parsed.kind == "kf_system":
            self.on_message(parsed)   # welcome / session end: answered now, their codes live 20 s
            return 0
        if parsed.inbound is None:
            log.info("wecom kf item ignored: %s", parsed.detail)
            return 0
        sent_at = int(item.get("send_time") or self.desk.clock().timestamp())
        self.window.customer_wrote(parsed.inbound.sender, str(item.get("open_kfid") or open_kfid), sent_at,
                                   parsed.inbound.msg_id or str(sent_at))
        self.on_message(parsed)
        return 1

    def _cursor(self, open_kfid: str) -> str:
        with self.desk.uow() as uow:
            row = uow.session.get(CursorRow, _name(open_kfid))
            return row.value if row else ""

    def _save_cursor(self, open_kfid: str, cursor: str) -> None:
        if not cursor:
            return
        with self.desk.uow() as uow:
            row = uow.session.get(CursorRow, _name(open_kfid))
            if row is None:
                uow.session.add(CursorRow(name=_name(open_kfid), value=cursor, updated_at=self.desk.clock()))
            else:
                row.value, row.updated_at = cursor, self.desk.clock()
            uow.commit()


def _name(open_kfid: str) -> str:
    return f"wecom_kf:{open_kfid}"[:128]
