"""Where notices go: the outbox, and who each platform sender is."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain.model import mask_phones
from domain.notices import Notice
from storage.upsert import insert_ignore
from storage.tables import IdentityRow, OutboxRow, StaffRow, TechnicianRow


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, notice: Notice, now: datetime) -> None:
        """Idempotent: a second notice with the same key is dropped."""
        if self.s.scalars(select(OutboxRow.id).where(OutboxRow.key == notice.key)).first():
            return
        self.s.add(OutboxRow(key=notice.key[:160], role=str(notice.role), person_id=notice.person_id,
                             channel=notice.channel, address=notice.address,
                             ticket_number=notice.ticket_number, kind=notice.kind, text=mask_phones(notice.text),
                             buttons=list(notice.buttons), due_at=notice.due_at or now, created_at=now))
        self.s.flush()

    def withdraw(self, key: str) -> None:
        """A notice queued for later that no longer makes sense (a survey already answered) is not sent."""
        self.s.execute(update(OutboxRow).where(OutboxRow.key == key, OutboxRow.status.in_(("pending", "held")))
                       .values(status="dropped"))


class SqlIdentities:
    """Who a platform sender is, and where each person was last seen (where notices go)."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def find(self, channel: str, external_id: str) -> IdentityRow | None:
        return self.s.get(IdentityRow, (channel, external_id))

    def touch(self, channel: str, external_id: str, role: str, person_id: str, now: datetime,
              rebind: bool = False) -> bool:
        """Record that this sender is this person; False (and nothing changed) when the sender is
        bound to another owner already: only a platform-vouched phone (`rebind`) may move it."""
        row = self.find(channel, external_id)
        if row is None and insert_ignore(self.s, IdentityRow.__table__, {
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

    def latest(self, role: str, person_id: str) -> IdentityRow | None:
        stmt = (select(IdentityRow).where(IdentityRow.role == role, IdentityRow.person_id == person_id)
                .order_by(IdentityRow.last_seen.desc()))
        return self.s.scalars(stmt).first()

    def staff_by_platform(self, channel: str, user_id: str) -> tuple[str, str] | None:
        """(role, id) of the technician or staff member with this platform user id."""
        column = {"wecom": "wecom_userid", "dingtalk": "dingtalk_userid"}.get(channel)
        if column is None or not user_id:
            return None
        tech = self.s.scalars(select(TechnicianRow).where(getattr(TechnicianRow, column) == user_id)).first()
        if tech is not None:
            return "technician", tech.id
        staff = self.s.scalars(select(StaffRow).where(getattr(StaffRow, column) == user_id)).first()
        return (staff.role, staff.id) if staff is not None else None
