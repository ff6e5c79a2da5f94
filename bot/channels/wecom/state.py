"""WeCom state shared by every process: cards and pacing in the key-value store, the kf window in the database.

Time is the desk's clock (epoch seconds stored in the values), not the store's TTL clock,
so tests move time without sleeping; TTLs only keep the store from growing.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from storage.kv import KeyValueStore, StoreUnavailable
from storage.tables import KfSessionRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("baoxiu.wecom")

MEMBER_PER_MINUTE = 30          # WeCom drops anything above this per member, silently
RATE_WINDOW = 60.0              # seconds: "per minute" is any 60 s, not a clock minute
KF_WINDOW = 48 * 3600           # seconds after the customer's last message
KF_MAX_SENDS = 5                # messages we may send in that window
CARD_TTL = timedelta(days=3)    # response codes die after 24-72 h anyway


class WecomKeys:
    """Key formats (store prefix added by the store). The user id is always last: it may hold ':'."""

    @staticmethod
    def card(ticket: str, user: str) -> str:
        """The offer card sent to a member for a ticket: task_id, newest unused response_code."""
        return f"wecom:card:{ticket}:{user}"

    @staticmethod
    def open_cards(user: str) -> str:
        """Tickets whose offer card still shows live buttons to this member (JSON list)."""
        return f"wecom:open-cards:{user}"

    @staticmethod
    def kf_event(msgid: str) -> str:
        """A kf system event already acted on (a page pulled twice must not welcome twice)."""
        return f"wecom:kf-event:{msgid}"

    @staticmethod
    def kf_human(user: str) -> str:
        """This customer's session is with a person: the bot keeps quiet until it ends."""
        return f"wecom:kf-human:{user}"

    @staticmethod
    def kf_misread(user: str) -> str:
        """How many messages in a row the bot did not understand from this customer."""
        return f"wecom:kf-misread:{user}"

    @staticmethod
    def rate(user: str) -> str:
        """When this member was sent messages in the last minute (the store's sliding window)."""
        return f"wecom:rate:{user}"

    @staticmethod
    def kf_rerun(open_kfid: str) -> str:
        """Set when a kf event arrives while another process is already pulling."""
        return f"wecom:kf-rerun:{open_kfid}"


def _load(store: KeyValueStore, key: str) -> Any:
    raw = store.get(key)
    return json.loads(raw) if raw else None


@dataclass(frozen=True)
class Card:
    task_id: str
    code: str       # "" once used


class CardBook:
    """Which offer card each technician holds, so a later notice can update it in place."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    def sent(self, ticket: str, user: str, task_id: str, code: str) -> None:
        self._save(ticket, user, Card(task_id, code))
        tickets = self.open_tickets(user)
        if ticket not in tickets:
            # Read-modify-write: two offers to one member at the same instant may lose one entry,
            # which only means that card is not swept; the notice still goes out as text.
            self.store.set(WecomKeys.open_cards(user), json.dumps([*tickets[-19:], ticket]), ttl=CARD_TTL)

    def clicked(self, ticket: str, user: str, code: str) -> None:
        """Each click brings a fresh response_code; the newest unused one is what we can spend."""
        card = self.get(ticket, user)
        if card is not None and code:
            self._save(ticket, user, Card(card.task_id, code))

    def get(self, ticket: str, user: str) -> Card | None:
        data = _load(self.store, WecomKeys.card(ticket, user))
        return Card(data["task_id"], data["code"]) if data else None

    def spend(self, ticket: str, user: str) -> Card | None:
        """The card with a usable code, marking the code used (each works once)."""
        card = self.get(ticket, user)
        if card is None or not card.code:
            return None
        self._save(ticket, user, Card(card.task_id, ""))
        return card

    def close(self, ticket: str, user: str) -> None:
        tickets = self.open_tickets(user)
        if ticket in tickets:
            self.store.set(WecomKeys.open_cards(user), json.dumps([t for t in tickets if t != ticket]),
                           ttl=CARD_TTL)

    def open_tickets(self, user: str) -> list[str]:
        return list(_load(self.store, WecomKeys.open_cards(user)) or [])

    def _save(self, ticket: str, user: str, card: Card) -> None:
        value = json.dumps({"task_id": card.task_id, "code": card.code})
        self.store.set(WecomKeys.card(ticket, user), value, ttl=CARD_TTL)


class Pacer:
    """At most 30 messages in any 60 seconds per member: an exact sliding window in the shared store.

    WeCom drops the 31st silently, so fixed minutes will not do (30 at :59 and 30 at :01 would
    pass). The store admits atomically (a Lua script on Redis), so processes cannot overshoot.
    """

    def __init__(self, store: KeyValueStore, clock: Callable[[], datetime], limit: int = MEMBER_PER_MINUTE) -> None:
        self.store, self.clock, self.limit = store, clock, limit

    def allow(self, user: str) -> bool:
        try:
            return self.store.admit(WecomKeys.rate(user), self.clock().timestamp(), RATE_WINDOW, self.limit)
        except StoreUnavailable:
            log.warning("key-value store unavailable; wecom sends are not paced")
            return True


class KfWindow:
    """The 48-hour / 5-message window of 微信客服, so a notice is held rather than refused.

    Kept in the database (`kf_sessions`), not the key-value store: with the in-process store a
    restart would forget every window and hold notices with a false "48 hours" to the desk.
    """

    def __init__(self, uow: Callable[[], SqlUnitOfWork], clock: Callable[[], datetime]) -> None:
        self.uow, self.clock = uow, clock

    def customer_wrote(self, user: str, open_kfid: str, at: int, msgid: str) -> None:
        """Every new customer message opens a new window; a replayed one (same msgid) does not."""
        when = datetime.fromtimestamp(at, timezone.utc)
        with self.uow() as uow:
            row = uow.session.get(KfSessionRow, user, with_for_update=True)
            if row is None:
                try:
                    with uow.session.begin_nested():
                        uow.session.add(KfSessionRow(external_userid=user, open_kfid=open_kfid, last_message_at=when,
                                                     opened_by=msgid[:64], sent=0))
                except IntegrityError:  # another process opened it a moment ago: take the update path
                    row = uow.session.get(KfSessionRow, user, with_for_update=True, populate_existing=True)
            if row is not None and row.last_message_at <= when and row.opened_by != msgid[:64]:
                row.open_kfid, row.last_message_at, row.opened_by, row.sent = open_kfid, when, msgid[:64], 0
            uow.commit()

    def account(self, user: str) -> str:
        with self.uow() as uow:
            row = uow.session.get(KfSessionRow, user)
            return row.open_kfid if row else ""

    def closed_because(self, user: str) -> str | None:
        """None while we may send; otherwise why not (shown to the dispatcher)."""
        with self.uow() as uow:
            row = uow.session.get(KfSessionRow, user)
            if row is None or (self.clock() - row.last_message_at).total_seconds() > KF_WINDOW:
                return "客户超过48小时未留言"
            if row.sent >= KF_MAX_SENDS:
                return "客户回复前最多发送5条"
            return None

    def left(self, user: str) -> int:
        """Messages we may still send before the customer writes again."""
        with self.uow() as uow:
            row = uow.session.get(KfSessionRow, user)
            return max(0, KF_MAX_SENDS - row.sent) if row is not None else 0

    def sent(self, user: str) -> None:
        with self.uow() as uow:
            uow.session.execute(update(KfSessionRow).where(KfSessionRow.external_userid == user)
                                .values(sent=KfSessionRow.sent + 1))
            uow.commit()
