"""Repositories over one SQLAlchemy session: the only place that writes SQL for the domain."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.dispatch import Candidate, Exclusions, Job, Record, Weights
from domain.model import Asset, Community, Customer, Product, Site, Staff, Technician, mask_phones
from domain.notices import Notice
from domain.ticket import OPEN_STATES, State, Ticket
from storage import dispatch_query, mapping
from storage.tables import (AssetRow, CommunityRow, CounterRow, CustomerRow, DispatchDecisionRow, IdentityRow, OutboxRow,
                            PlanRunRow, ProductRow, SiteRow,
                            StaffRow, TechnicianRow, TicketEventRow, TicketRow)

BUSY = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)


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

    def save(self, ticket: Ticket) -> None:
        row = self.s.get(TicketRow, ticket.id) if ticket.id else TicketRow()
        assert row is not None
        self._count_load(row.assignee_id if row.state in BUSY else None,
                         ticket.assignee_id if ticket.state in BUSY else None)
        mapping.fill(row, ticket)
        row.state = ticket.state.value
        row.held_from = ticket.held_from.value if ticket.held_from else None
        if ticket.id is None:
            self.s.add(row)
            self.s.flush()
            ticket.id = row.id
        for e in ticket.trail:
            self.s.add(TicketEventRow(ticket_id=row.id, at=e.at, actor=e.actor, action=e.action,
                                      from_state=e.from_state.value, to_state=e.to_state.value,
                                      reason=e.reason[:500]))
        ticket.trail.clear()
        self.s.flush()

    def _count_load(self, before: str | None, after: str | None) -> None:
        """Keep technicians.open_jobs in step with this save (same transaction)."""
        if before == after:
            return
        for tech_id, step in ((before, -1), (after, 1)):
            if tech_id:
                self.s.execute(update(TechnicianRow).where(TechnicianRow.id == tech_id)
                               .values(open_jobs=TechnicianRow.open_jobs + step),
                               execution_options={"synchronize_session": False})

    def next_number(self, prefix: str, day: str) -> str:
        name = f"ticket:{day}"
        # The counter row is created once per day; the UPDATE takes the row lock, so
        # concurrent openers get distinct numbers on every backend.
        if self.s.get(CounterRow, name) is None:
            try:
                with self.s.begin_nested():
                    self.s.add(CounterRow(name=name, value=0))
            except IntegrityError:
                pass
        value = self.s.scalar(update(CounterRow).where(CounterRow.name == name)
                              .values(value=CounterRow.value + 1).returning(CounterRow.value))
        return f"{prefix}{day}-{value:04d}"

    def for_customer(self, customer_id: int, open_only: bool = True) -> list[Ticket]:
        stmt = select(TicketRow).where(TicketRow.customer_id == customer_id)
        if open_only:
            stmt = stmt.where(TicketRow.state.in_([s.value for s in OPEN_STATES]))
        return [mapping.ticket(r) for r in self.s.scalars(stmt.order_by(TicketRow.id.desc()))]

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
        self.s.add(DispatchDecisionRow(ticket_id=ticket.id, at=now, mode=mode, chosen=chosen,
                                       candidates=[c[:200] for c in candidates[:40]]))

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
        stmt = select(func.count()).select_from(TicketRow).where(
            TicketRow.state.in_([s.value for s in OPEN_STATES]))
        if overdue_at is not None:
            stmt = stmt.where(_breached(overdue_at))
        return self.s.scalar(stmt) or 0

    def callbacks(self, state: str = "open", limit: int = 50) -> list[Ticket]:
        stmt = (select(TicketRow).where(TicketRow.callback_state == state).order_by(TicketRow.closed_at)
                .limit(limit))
        return [mapping.ticket(r) for r in self.s.scalars(stmt)]

    def count_callbacks(self, state: str = "open") -> int:
        return self.s.scalar(select(func.count()).select_from(TicketRow).where(
            TicketRow.callback_state == state)) or 0

    def count_events(self, action: str, start: datetime, end: datetime) -> int:
        """Audit entries of one kind in a period (e.g. SLA breaches on a day)."""
        return self.s.scalar(select(func.count()).select_from(TicketEventRow).where(
            TicketEventRow.action == action, TicketEventRow.at >= start, TicketEventRow.at < end)) or 0

    def trail(self, ticket_id: int) -> list[TicketEventRow]:
        stmt = select(TicketEventRow).where(TicketEventRow.ticket_id == ticket_id).order_by(TicketEventRow.id)
        return list(self.s.scalars(stmt))


def _breached(now: datetime) -> ColumnElement[bool]:
    """Any deadline missed: accepted, arrived or resolved after its time, or still not done by now."""
    return or_(TicketRow.accept_by < func.coalesce(TicketRow.accepted_at, now),
               TicketRow.arrive_by < func.coalesce(TicketRow.arrived_at, now),
               TicketRow.resolve_by < now)


class SqlPeople:
    def __init__(self, session: Session) -> None:
        self.s = session

    def customer_by_phone(self, phone: str) -> Customer | None:
        row = self.s.scalars(select(CustomerRow).where(CustomerRow.phone == phone)).first()
        return mapping.customer(row) if row else None

    def customer(self, customer_id: int) -> Customer | None:
        row = self.s.get(CustomerRow, customer_id)
        return mapping.customer(row) if row else None

    def add_customer(self, customer: Customer) -> Customer:
        row = CustomerRow(phone=customer.phone, name=customer.name)
        self.s.add(row)
        self.s.flush()
        return mapping.customer(row)

    def technician(self, tech_id: str) -> Technician | None:
        row = self.s.get(TechnicianRow, tech_id)
        return mapping.technician(row) if row else None

    def technicians(self, skill: str = "") -> list[Technician]:
        """All technicians, or only those with `skill` (filtered in SQL: dispatch reads no one it cannot use)."""
        stmt = select(TechnicianRow).order_by(TechnicianRow.id)
        if skill:
            stmt = stmt.where(TechnicianRow.active.is_(True), TechnicianRow.on_duty.is_(True), _has_skill(self.s, skill))
        return [mapping.technician(r) for r in self.s.scalars(stmt)]

    def find_technician(self, name_or_id: str) -> Technician | None:
        ref = name_or_id.strip()
        row = self.s.get(TechnicianRow, ref) or self.s.get(TechnicianRow, ref.upper()) or self.s.scalars(
            select(TechnicianRow).where(TechnicianRow.name.in_([ref, ref.removesuffix("师傅")]))).first()
        return mapping.technician(row) if row else None

    def save_technician(self, tech: Technician) -> None:
        row = self.s.get(TechnicianRow, tech.id) or TechnicianRow(id=tech.id)
        mapping.fill(row, tech)
        self.s.add(row)
        self.s.flush()

    def mark_offered(self, tech_id: str, now: datetime) -> None:
        self.s.execute(update(TechnicianRow).where(TechnicianRow.id == tech_id).values(last_offered_at=now),
                       execution_options={"synchronize_session": False})

    def candidates(self, job: Job, neighbours: Mapping[str, tuple[str, ...]], weights: Weights,
                   now: datetime | None, limit: int) -> list[Candidate]:
        return dispatch_query.candidates(self.s, job, neighbours, weights, now, limit)

    def exclusions(self, job: Job) -> Exclusions:
        return dispatch_query.exclusions(self.s, job)

    def refresh_roster(self, records: dict[str, Record]) -> None:
        dispatch_query.recount_loads(self.s)
        dispatch_query.store_records(self.s, {k: (r.first_fix, r.rating) for k, r in records.items()})

    def last_offered(self) -> dict[str, datetime]:
        stmt = select(TechnicianRow.id, TechnicianRow.last_offered_at).where(
            TechnicianRow.last_offered_at.is_not(None))
        return {tid: at for tid, at in self.s.execute(stmt) if at}

    def assets(self, customer_id: int) -> list[Asset]:
        stmt = select(AssetRow).where(AssetRow.customer_id == customer_id).order_by(AssetRow.id)
        return [mapping.to_domain(Asset, r) for r in self.s.scalars(stmt)]

    def asset_by_serial(self, serial: str) -> Asset | None:
        row = self.s.scalars(select(AssetRow).where(AssetRow.serial == serial)).first()
        return mapping.to_domain(Asset, row) if row else None

    def customers_at(self, community: str, building: str, room: str) -> list[Customer]:
        """Customers with a purchase installed at this address (for verifying who is who)."""
        stmt = (select(CustomerRow).join(AssetRow, AssetRow.customer_id == CustomerRow.id)
                .join(SiteRow, SiteRow.id == AssetRow.site_id)
                .where(SiteRow.community == community, SiteRow.building == building, SiteRow.room == room)
                .distinct())
        return [mapping.customer(r) for r in self.s.scalars(stmt)]

    def staff(self, staff_id: str) -> Staff | None:
        row = self.s.get(StaffRow, staff_id)
        return mapping.staff(row) if row else None

    def staff_with_role(self, role: str) -> list[Staff]:
        stmt = select(StaffRow).where(StaffRow.role == str(role), StaffRow.active.is_(True)).order_by(StaffRow.id)
        return [mapping.staff(r) for r in self.s.scalars(stmt)]


def _has_skill(session: Session, skill: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return text("CAST(technicians.skills AS jsonb) ? :skill").bindparams(skill=skill)  # type: ignore[return-value]
    return text("EXISTS (SELECT 1 FROM json_each(technicians.skills) WHERE json_each.value = :skill)"
                ).bindparams(skill=skill)  # type: ignore[return-value]


class SqlPlaces:
    def __init__(self, session: Session) -> None:
        self.s = session

    def communities(self) -> list[Community]:
        rows = self.s.scalars(select(CommunityRow).order_by(CommunityRow.name))
        return [Community(r.name, r.region, r.address) for r in rows]

    def site(self, site_id: int) -> Site | None:
        row = self.s.get(SiteRow, site_id)
        return mapping.site(row) if row else None

    def site_for(self, site: Site) -> Site:
        key = dict(community=site.community, building=site.building, unit=site.unit, room=site.room)
        row = self.s.scalars(select(SiteRow).filter_by(**key)).first()
        if row is None:
            row = SiteRow(region=site.region, **key)
            self.s.add(row)
            self.s.flush()
        return mapping.site(row)


class SqlCatalog:
    def __init__(self, session: Session) -> None:
        self.s = session

    def products(self) -> list[Product]:
        return [mapping.product(r) for r in self.s.scalars(select(ProductRow).order_by(ProductRow.sku))]

    def product(self, sku: str) -> Product | None:
        row = self.s.get(ProductRow, sku)
        return mapping.product(row) if row else None


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
