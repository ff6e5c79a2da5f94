"""Who each platform sender is, and where each person was last seen (where notices go)."""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage import sealing
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


class SqlIdentities:
    """Who a platform sender is, and where each person was last seen (where notices go)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        # Senders looked up and not found in this transaction. The session remembers rows it
        # loaded, not misses: a new sender would be looked up three times per message (staff?
        # known? then `touch`). Only this object writes identities, and it forgets a miss it writes.
        self._missing: set[tuple[str, str]] = set()

    def find(self, channel: str, external_id: str) -> IdentityRow | None:
        if (channel, external_id) in self._missing:
            return None
        row = self.s.get(IdentityRow, (channel, external_id))
        if row is None:
            self._missing.add((channel, external_id))
        return row

    def touch(self, channel: str, external_id: str, role: str, person_id: str, now: datetime,
              rebind: bool = False) -> bool:
        """Record that this sender is this person; False (and nothing changed) when the sender is
        bound to another owner already: only a platform-vouched phone (`rebind`) may move it."""
        row = self.find(channel, external_id)
        self._missing.discard((channel, external_id))
        if row is None and insert_ignore(self.s, IdentityRow, {
                "channel": channel, "external_id": external_id, "role": role, "person_id": person_id,
                "last_seen": now}, ["channel", "external_id"]):
            return True
        row = row or self.find(channel, external_id)
        assert row is not None  # inserted by a concurrent first message from the same sender
        if (row.role == role == "owner" and row.person_id != person_id and not rebind):
            return False
        else:
            row.role, row.person_id, row.last_seen = role, person_id, now
        self.s.flush()
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
        if not user_id:
            return
        row = self.find(channel, user_id)
        self._missing.discard((channel, user_id))
        if row is None:
            self.s.add(IdentityRow(channel=channel, external_id=user_id, role=role, person_id=person_id,
                                   last_seen=NEVER))
        else:
            row.role, row.person_id = role, person_id
        self.s.flush()
