"""Incidents and the tickets linked to them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.incidents import Report
from domain.ticket import OPEN_STATES
from storage.tables import IncidentRow, IncidentTicketRow, SiteRow, TicketRow


class SqlIncidents:
    def __init__(self, session: Session) -> None:
        self.s = session

    def unlinked_reports(self, since: datetime) -> list[tuple[TicketRow, SiteRow]]:
        """Open tickets opened since then, at a known site, not yet part of an incident."""
        linked = select(IncidentTicketRow.ticket_number)
        # The state as an expression (state || '') and the window's order: SQLite, which keeps no
        # statistics, would otherwise walk every open ticket (by the state index, or by id for the
        # order) instead of the window's few by created_at, and this runs on every tick.
        state = TicketRow.state + ""
        stmt = (select(TicketRow, SiteRow).join(SiteRow, SiteRow.id == TicketRow.site_id)
                .where(TicketRow.created_at >= since, state.in_([s.value for s in OPEN_STATES]),
                       TicketRow.number.not_in(linked)).order_by(TicketRow.created_at, TicketRow.id))
        return [(t, s) for t, s in self.s.execute(stmt)]

    def open_at(self, kind: str, community: str, building: str) -> IncidentRow | None:
        return self.s.scalars(select(IncidentRow).where(
            IncidentRow.status == "open", IncidentRow.kind == kind, IncidentRow.community == community,
            IncidentRow.building == building)).first()

    def open_incidents(self) -> list[IncidentRow]:
        return list(self.s.scalars(select(IncidentRow).where(IncidentRow.status == "open")))

    def add(self, report: Report, kind_name: str, lead: str, now: datetime) -> IncidentRow:
        row = IncidentRow(kind=report.kind, kind_name=kind_name, community=report.community,
                          building=report.building, lead_number=lead, status="open", opened_at=now)
        self.s.add(row)
        self.s.flush()
        return row

    def link(self, incident: IncidentRow, number: str, now: datetime) -> bool:
        if self.s.get(IncidentTicketRow, number) is not None:
            return False
        self.s.add(IncidentTicketRow(ticket_number=number, incident_id=incident.id, linked_at=now))
        self.s.flush()
        return True

    def close(self, incident: IncidentRow, now: datetime) -> None:
        incident.status, incident.resolved_at = "resolved", now
        self.s.flush()

    def numbers(self, incident_id: int) -> list[str]:
        return list(self.s.scalars(select(IncidentTicketRow.ticket_number)
                                   .where(IncidentTicketRow.incident_id == incident_id)
                                   .order_by(IncidentTicketRow.ticket_number)))

    def of_ticket(self, number: str) -> IncidentRow | None:
        link = self.s.get(IncidentTicketRow, number)
        return self.s.get(IncidentRow, link.incident_id) if link else None

    def open_leak_above(self, site: SiteRow, room: str) -> TicketRow | None:
        """An open ticket at the room above (same community, building and unit)."""
        stmt = (select(TicketRow).join(SiteRow, SiteRow.id == TicketRow.site_id)
                .where(SiteRow.place_is(site.community, site.building, site.unit, room),
                       TicketRow.state.in_([s.value for s in OPEN_STATES])).order_by(TicketRow.id.desc()))
        return self.s.scalars(stmt).first()
