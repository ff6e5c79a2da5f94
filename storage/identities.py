"""Who each platform sender is, and where each person was last seen (where notices go)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from storage import sealing
from storage.prepared import Prepared
from storage.tables import CustomerRow, IdentityRow
from storage.upsert import insert_ignore

# The platforms whose user ids the staff and technician rosters carry (CSV columns <channel>_userid).
PLATFORM_IDS = ("wecom", "dingtalk")
# Channels on the same platform as a roster column: the WeCom AI bot sees the members of the same
# WeCom company, with the same userids, as the WeCom app does.
SAME_IDS = {"wecom_bot": "wecom"}
# An identity the roster names was never seen: any real sighting on any channel is newer.
NEVER = datetime(2000, 1, 1, tzinfo=timezone.utc)
CONSOLE = "console"


def console_owner(phone: str) -> str:
    """The console's sender id for the owner with this phone, as stored (identities, the key-value
    store): a keyed hash, not the `owner:<phone>` the operator types. Rows under an older key are
    re-made by `rotate-key` (rehash_console_owners)."""
    return "owner:" + sealing.current().lookup(sealing.joined(CONSOLE, phone))


def rehash_console_owners(session: Session) -> int:
    """Console owners' identities under the newest key, made again from the customer's phone; of
    two rows of one owner, the newer sighting stays. How many rows were rewritten or dropped."""
    rows = session.scalars(select(IdentityRow).where(IdentityRow.channel == CONSOLE, IdentityRow.role == "owner")
                           .order_by(IdentityRow.last_seen.desc())).all()
    newest: dict[str, IdentityRow] = {}
    for row in rows:
        customer = session.get(CustomerRow, int(row.person_id)) if row.person_id.isdigit() else None
        newest.setdefault(console_owner(customer.phone) if customer else row.external_id, row)
    stale = [row for row in rows if newest.get(row.external_id) is not row]
    for row in stale:
        session.delete(row)
    session.flush()   # the old ids out before the new ones go in
    kept = {row.external_id for row in rows if row not in stale}
    for wanted, row in newest.items():
        if wanted not in kept:
            session.add(IdentityRow(channel=CONSOLE, external_id=wanted, role=row.role, person_id=row.person_id,
                                    last_seen=row.last_seen))
    session.flush()
    return len(stale)


@dataclass(frozen=True)
class Known:
    """Who a sender is, as the identities row says."""
    role: str
    person_id: str


class SqlIdentities:
    """Who a platform sender is, and where each person was last seen (where notices go)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        # Senders looked up in this transaction, found or not: a message asks up to three times
        # (staff? known? then `touch`). Only this object writes identities in a chat's unit of
        # work, and it keeps this in step with what it writes.
        self._known: dict[tuple[str, str], Known | None] = {}

    def find(self, channel: str, external_id: str) -> Known | None:
        key = (channel, external_id)
        if key not in self._known:
            row = _FIND.first(self.s, {"b_channel": channel, "b_external": external_id})
            self._known[key] = Known(row[0], row[1]) if row is not None else None
        return self._known[key]

    def touch(self, channel: str, external_id: str, role: str, person_id: str, now: datetime,
              rebind: bool = False) -> bool:
        """Record that this sender is this person; False (and nothing changed) when the sender is
        bound to another owner already: only a platform-vouched phone (`rebind`) may move it."""
        key = (channel, external_id)
        row = self.find(channel, external_id)
        if row is None and insert_ignore(self.s, IdentityRow, {
                "channel": channel, "external_id": external_id, "role": role, "person_id": person_id,
                "last_seen": now}, ["channel", "external_id"]):
            self._known[key] = Known(role, person_id)
            return True
        if row is None:   # inserted by a concurrent first message from the same sender
            self._known.pop(key)
            row = self.find(channel, external_id)
            assert row is not None
        if row.role == role == "owner" and row.person_id != person_id and not rebind:
            return False
        # One prebuilt UPDATE, not a loaded row flushed: a known sender is touched on every message.
        _TOUCH.rowcount(self.s, {"role": role, "person_id": person_id, "last_seen": now,
                                 "b_channel": channel, "b_external": external_id})
        self._forget_loaded(key)
        self._known[key] = Known(role, person_id)
        return True

    def bound_owner(self, channel: str, external_id: str) -> int | None:
        """The customer this chat sender was verified as, if any."""
        row = self.find(channel, external_id)
        return int(row.person_id) if row is not None and row.role == "owner" and row.person_id.isdigit() else None

    def latest(self, role: str, person_id: str, channels: Collection[str] | None = None) -> IdentityRow | None:
        """Where the person was seen last; only on `channels` when given (the platforms switched on)."""
        stmt = (select(IdentityRow).where(IdentityRow.role == role, IdentityRow.person_id == person_id)
                .order_by(IdentityRow.last_seen.desc()))
        if channels is not None:
            stmt = stmt.where(IdentityRow.channel.in_(list(channels)))
        return self.s.scalars(stmt).first()

    def staff_by_platform(self, channel: str, user_id: str) -> tuple[str, str] | None:
        """(role, id) of the technician or staff member with this platform user id."""
        roster = SAME_IDS.get(channel, channel)
        if roster not in PLATFORM_IDS or not user_id:
            return None
        row = self.find(roster, user_id)   # the roster's ids, whichever channel of theirs wrote
        return (row.role, row.person_id) if row is not None and row.role != "owner" else None

    def platform_ids(self, channel: str, role: str, person_id: str) -> list[str]:
        stmt = select(IdentityRow.external_id).where(IdentityRow.channel == channel, IdentityRow.role == role,
                                                     IdentityRow.person_id == person_id)
        return list(self.s.scalars(stmt))

    def set_platform_id(self, channel: str, role: str, person_id: str, user_id: str) -> None:
        """The roster says this is the person's user id on the platform ("" for none): any other id of
        theirs there stops being theirs, and a new one is known before they first write."""
        self.s.execute(delete(IdentityRow).where(IdentityRow.channel == channel, IdentityRow.role == role,
                                                 IdentityRow.person_id == person_id,
                                                 IdentityRow.external_id != user_id))
        self._known.clear()   # the delete above may have removed any of this person's ids
        if not user_id:
            return
        row = self.s.get(IdentityRow, (channel, user_id))
        if row is None:
            self.s.add(IdentityRow(channel=channel, external_id=user_id, role=role, person_id=person_id,
                                   last_seen=NEVER))
        else:
            row.role, row.person_id = role, person_id
        self.s.flush()

    def _forget_loaded(self, key: tuple[str, str]) -> None:
        """A row this session loaded as an object (`latest`) is read again after a Core UPDATE."""
        loaded = self.s.identity_map.get(self.s.identity_key(IdentityRow, key))
        if loaded is not None:
            self.s.expire(loaded)


# Statements every message runs (storage/prepared.py).
_TABLE = cast(Table, IdentityRow.__table__)
_T = _TABLE.c
_FIND = Prepared(select(_T.role, _T.person_id).where(_T.channel == bindparam("b_channel"),
                                                     _T.external_id == bindparam("b_external")))
_TOUCH = Prepared(update(_TABLE).where(_T.channel == bindparam("b_channel"), _T.external_id == bindparam("b_external"))
                  .values(role=bindparam("role"), person_id=bindparam("person_id"), last_seen=bindparam("last_seen")))
