"""Ticket queries over one SQLAlchemy session: saves with their audit trail, queues due for the
scheduler, plan runs and the figures reports read."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from sqlalchemy import Table, and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.dispatch import Record
from domain.stats import ChartCounts, DayFigures, Over, Quality
from domain.stats import TechnicianRow as RankedTechnician   # tables.TechnicianRow is the staff row
from domain.ticket import OPEN_STATES, State, Ticket
from storage import mapping, sealing, stats_query
from storage.dispatch_query import BUSY, step_load, write_offered_mark
from storage.upsert import insert_ignore
from storage.tables import CounterRow, DispatchDecisionRow, OutboxRow, PlanRunRow, TicketEventRow, TicketRow

# Reasons the figures search by word (waited for parts) stay readable, phones masked (the column is
# Masked); every other reason is sealed: a check-in's location, an owner's words when cancelling.
SEARCHED_REASONS = frozenset({"hold"})
# Written on every ticket change as plain Core statements (no ORM object to build and flush).
TICKETS = cast(Table, TicketRow.__table__)
EVENTS = cast(Table, TicketEventRow.__table__)
DECISIONS = cast(Table, DispatchDecisionRow.__table__)
# Built once, the values passed as parameters: building a statement with its values in it costs
# several times running it, and a dispatch writes each of these once.
INSERT_TICKET = insert(TICKETS).returning(TICKETS.c.id)
INSERT_EVENTS = insert(EVENTS)
INSERT_DECISION = insert(DECISIONS)


def _stored(ticket: Ticket) -> dict[str, Any]:
    """The ticket's row as written."""
    return {**mapping.values(TicketRow, ticket), "state": ticket.state.value,
            "held_from": ticket.held_from.value if ticket.held_from else None}


class SqlTickets:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _one(self, number: str, lock: bool) -> Ticket | None:
        stmt = select(TicketRow).where(TicketRow.number == number)
        if lock:
            stmt = stmt.with_for_update()
        row = self.s.scalars(stmt).first()
        return mapping.ticket(row) if row else None

    def get(self, number: str) -> Ticket | None:
        return self._one(number, lock=False)

    def get_for_update(self, number: str) -> Ticket | None:
        return self._one(number, lock=True)

    def was_offered(self, number: str, tech_id: str) -> bool:
        """Whether this technician was ever sent the job (offer or grab posting): its notice says so."""
        stmt = select(OutboxRow.id).where(OutboxRow.ticket_number == number, OutboxRow.kind == "offer",
                                          OutboxRow.role == "technician", OutboxRow.person_id == tech_id)
        return self.s.scalars(stmt.limit(1)).first() is not None

    def save(self, ticket: Ticket) -> None:
        if ticket.id is None:  # a new ticket is one plain INSERT (no ORM object to build and flush)
            self._count_load(None, ticket.assignee_id if ticket.state in BUSY else None)
            self.s.flush()   # rows it refers to that are still pending (an asset) go first
            ticket.id = self.s.execute(INSERT_TICKET, _stored(ticket)).scalar_one()
        else:
            row = self.s.get(TicketRow, ticket.id)
            assert row is not None
            self._count_load(row.assignee_id if row.state in BUSY else None,
                             ticket.assignee_id if ticket.state in BUSY else None)
            for name, value in _stored(ticket).items():
                setattr(row, name, value)
            self.s.flush()
        write_offered_mark(self.s)   # an offer that moved no load to its technician
        if ticket.trail:  # plain rows nobody reads back in this transaction: no ORM objects to track
            self.s.execute(INSERT_EVENTS, [
                {"ticket_id": ticket.id, "at": e.at, "actor": e.actor, "action": e.action,
                 "from_state": e.from_state.value, "to_state": e.to_state.value,
                 "reason": e.reason[:500] if e.action in SEARCHED_REASONS else sealing.current().seal(e.reason[:500])}
                for e in ticket.trail])
        ticket.trail.clear()

    def _count_load(self, before: str | None, after: str | None) -> None:
        """Keep technicians.open_jobs in step with this save (same transaction)."""
        if before == after:
            return
        for tech_id, step in ((before, -1), (after, 1)):
            if tech_id:
                step_load(self.s, tech_id, step)

    def next_number(self, prefix: str, day: str) -> str:
        name = f"ticket:{day}"
        # The counter row is created once per day; the UPDATE takes the row lock, so
        # concurrent openers get distinct numbers on every backend.
        if self.s.get(CounterRow, name) is None:
            insert_ignore(self.s, CounterRow, {"name": name, "value": 0}, ["name"])
        value = self.s.scalar(update(CounterRow).where(CounterRow.name == name)
                              .values(value=CounterRow.value + 1).returning(CounterRow.value))
        return f"{prefix}{day}-{value:04d}"

    def for_customer(self, customer_id: int, open_only: bool = True, limit: int | None = None) -> list[Ticket]:
        """Newest first; `limit` reads only the newest few."""
        stmt = select(TicketRow).where(TicketRow.customer_id == customer_id)
        if open_only:
            stmt = stmt.where(TicketRow.state.in_([s.value for s in OPEN_STATES]))
        return [mapping.ticket(r) for r in self.s.scalars(stmt.order_by(TicketRow.id.desc()).limit(limit))]

    def for_technician(self, tech_id: str, states: Sequence[State]) -> list[Ticket]:
        stmt = (select(TicketRow).where(TicketRow.assignee_id == tech_id,
                                        TicketRow.state.in_([s.value for s in states]))
                .order_by(TicketRow.id))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def in_states(self, states: Sequence[State], limit: int = 50) -> list[Ticket]:
        stmt = (select(TicketRow).where(TicketRow.state.in_([s.value for s in states]))
                .order_by(TicketRow.id).limit(limit))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def offers_expired(self, now: datetime, limit: int = 100) -> list[str]:
        stmt = (select(TicketRow.number).where(TicketRow.offer_expires_at <= now,
                                               TicketRow.state == State.ASSIGNED.value)
                .order_by(TicketRow.offer_expires_at).limit(limit))
        return list(self.s.scalars(stmt))

    def loads(self) -> dict[str, int]:
        stmt = (select(TicketRow.assignee_id, func.count()).where(
            TicketRow.state.in_([s.value for s in BUSY]), TicketRow.assignee_id.is_not(None))
            .group_by(TicketRow.assignee_id))
        return {tid: n for tid, n in self.s.execute(stmt) if tid}

    def _locked_due(self, column: str, now: datetime, limit: int) -> list[Ticket]:
        """Due rows, oldest first, locked; a second worker skips them (SKIP LOCKED on PostgreSQL)."""
        col = getattr(TicketRow, column)
        stmt = (select(TicketRow).where(col <= now).order_by(col).limit(limit)
                .with_for_update(skip_locked=True))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def sla_due(self, now: datetime, limit: int = 200) -> list[Ticket]:
        return self._locked_due("next_due_at", now, limit)

    def followups_due(self, now: datetime, limit: int = 200) -> list[Ticket]:
        return self._locked_due("followup_at", now, limit)

    def records(self, since: datetime) -> dict[str, Record]:
        """Each technician's first-time-fix share and average rating over closed jobs since `since`."""
        first_time = case((and_(TicketRow.reopen_count == 0, TicketRow.hold_count == 0), 1), else_=0)
        stmt = (select(TicketRow.assignee_id, func.count(), func.sum(first_time), func.avg(TicketRow.rating))
                .where(TicketRow.state == State.CLOSED.value, TicketRow.closed_at >= since,
                       TicketRow.assignee_id.is_not(None))
                .group_by(TicketRow.assignee_id))
        return {tid: Record(first_fix=(fixed or 0) / n, rating=float(avg) if avg is not None else None)
                for tid, n, fixed, avg in self.s.execute(stmt) if tid and n}

    def log_decision(self, ticket: Ticket, now: datetime, mode: str, chosen: list[str],
                     candidates: list[str]) -> None:
        assert ticket.id is not None
        self.s.execute(INSERT_DECISION, {"ticket_id": ticket.id, "at": now, "mode": mode, "chosen": chosen,
                                         "candidates": [c[:200] for c in candidates[:40]]})

    def decisions(self, ticket_id: int) -> list[DispatchDecisionRow]:
        stmt = select(DispatchDecisionRow).where(DispatchDecisionRow.ticket_id == ticket_id).order_by(
            DispatchDecisionRow.id)
        return list(self.s.scalars(stmt))

    def overdue(self, now: datetime, limit: int = 20) -> list[Ticket]:
        stmt = (select(TicketRow).where(TicketRow.state.in_([s.value for s in OPEN_STATES]), _breached(now))
                .order_by(TicketRow.resolve_by).limit(limit))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def last_plan_run(self, plan: str) -> datetime | None:
        """The latest recorded firing of `plan` (primary-key order: one index probe)."""
        return self.s.scalar(select(func.max(PlanRunRow.fire_at)).where(PlanRunRow.plan == plan))

    def claim_plan_run(self, plan: str, fire_at: datetime, number: str = "") -> bool:
        """Record one firing of a plan; False when it was recorded before. With a number: fill it in."""
        existing = self.s.get(PlanRunRow, (plan, fire_at))
        if number:
            if existing is not None:
                existing.ticket_number = number
            return True
        if existing is not None:
            return False
        try:
            with self.s.begin_nested():
                self.s.add(PlanRunRow(plan=plan, fire_at=fire_at))
        except IntegrityError:
            return False
        return True

    def for_assets(self, asset_ids: set[int]) -> dict[int, list[Ticket]]:
        found: dict[int, list[Ticket]] = {}
        if asset_ids:
            for row in self.s.scalars(select(TicketRow).where(TicketRow.asset_id.in_(asset_ids))):
                found.setdefault(row.asset_id or 0, []).append(mapping.ticket(row))
        return found

    def hold_reasons(self, ticket_ids: set[int]) -> dict[int, list[str]]:
        """Why each of these tickets was put on hold, every time it was."""
        found: dict[int, list[str]] = {}
        ids = sorted(ticket_ids)
        for start in range(0, len(ids), 500):
            stmt = select(TicketEventRow.ticket_id, TicketEventRow.reason).where(
                TicketEventRow.ticket_id.in_(ids[start:start + 500]), TicketEventRow.action == "hold")
            for ticket_id, reason in self.s.execute(stmt):
                found.setdefault(ticket_id, []).append(reason or "")
        return found

    def between(self, column: str, start: datetime, end: datetime) -> list[Ticket]:
        col = getattr(TicketRow, column)
        stmt = select(TicketRow).where(col >= start, col < end)
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def count_open(self, overdue_at: datetime | None = None) -> int:
        return stats_query.count_open(self.s, overdue_at)

    def figures(self, start: datetime, end: datetime, now: datetime) -> DayFigures:
        return stats_query.figures(self.s, start, end, now)

    def quality(self, start: datetime, end: datetime, over: Over = "closed") -> Quality:
        return stats_query.quality(self.s, start, end, over)

    def ranking(self, start: datetime, end: datetime) -> list[RankedTechnician]:
        return stats_query.ranking(self.s, start, end)

    def chart_counts(self, start: datetime, end: datetime, tz: tzinfo) -> ChartCounts:
        return stats_query.chart_counts(self.s, start, end, tz)

    def callbacks(self, state: str = "open", limit: int = 50) -> list[Ticket]:
        stmt = (select(TicketRow).where(TicketRow.callback_state == state).order_by(TicketRow.closed_at)
                .limit(limit))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def count_callbacks(self, state: str = "open") -> int:
        return stats_query.count_callbacks(self.s, state)

    def count_events(self, action: str, start: datetime, end: datetime) -> int:
        """Audit entries of one kind in a period (e.g. SLA breaches on a day)."""
        return stats_query.count_events(self.s, action, start, end)

    def trail(self, ticket_id: int) -> list[TicketEventRow]:
        stmt = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.id)
        return list(self.s.scalars(stmt))


_breached = stats_query.breached
