"""Who each platform sender is, and where each person was last seen (where notices go)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.tables import IdentityRow, StaffRow, TechnicianRow


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
        if row is None:
            self.s.add(IdentityRow(channel=channel, external_id=external_id, role=role,
                                   person_id=person_id, last_seen=now))
        elif (row.role == role == "owner" and row.person_id != person_id and not rebind):
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
