"""A recording unit of work in memory: the domain's ports without a database.

Use cases run against it at unit speed. It keeps what a test asserts on: the tickets as saved,
every audit entry written (`audit`), every notice queued (`notices`), and how often the use case
committed. Saved tickets are copies, so a change that is never saved is never seen, as with SQL.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from domain.dispatch import Candidate, Exclusions, Job, Record, Weights, eligible, excluded, rank
from domain.model import Asset, Community, Customer, Part, Product, Reservation, Site, Staff, Stock, Technician
from domain.notices import Notice
from domain.ports import PartsRead, UnitOfWork
from domain.ticket import AuditEntry, State, Ticket

BUSY = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)   # as storage.dispatch_query


class FakeTickets:
    def __init__(self, audit: list[tuple[str, AuditEntry]]) -> None:
        self.rows: dict[str, Ticket] = {}
        self.decisions: list[tuple[str, str, list[str], list[str]]] = []
        self.plan_runs: dict[tuple[str, datetime], str] = {}
        self._audit = audit
        self._days: dict[str, int] = {}
        self.sent: Callable[[], list[Notice]] = list

    def _out(self, ticket: Ticket | None) -> Ticket | None:
        return None if ticket is None else copy.deepcopy(ticket)

    def _all(self) -> list[Ticket]:
        return [copy.deepcopy(t) for t in sorted(self.rows.values(), key=lambda t: t.id or 0)]

    def get(self, number: str) -> Ticket | None:
        return self._out(self.rows.get(number))

    def get_for_update(self, number: str) -> Ticket | None:
        return self.get(number)

    def save(self, ticket: Ticket) -> None:
        if ticket.id is None:
            ticket.id = len(self.rows) + 1
        self._audit += [(ticket.number, e) for e in ticket.trail]
        ticket.trail = []
        self.rows[ticket.number] = copy.deepcopy(ticket)

    def next_number(self, prefix: str, day: str) -> str:
        self._days[day] = self._days.get(day, 0) + 1
        return f"{prefix}{day}-{self._days[day]:04d}"

    def for_customer(self, customer_id: int, open_only: bool = True, limit: int | None = None) -> list[Ticket]:
        return [t for t in self._all() if t.customer_id == customer_id and (t.is_open or not open_only)][::-1][:limit]

    def for_technician(self, tech_id: str, states: Sequence[State]) -> list[Ticket]:
        return [t for t in self._all() if t.assignee_id == tech_id and t.state in states]

    def in_states(self, states: Sequence[State], limit: int = 50) -> list[Ticket]:
        return [t for t in self._all() if t.state in states][:limit]

    def offers_expired(self, now: datetime, limit: int = 100) -> list[str]:
        return [t.number for t in self._all() if t.state is State.ASSIGNED and t.offer_expires_at
                and t.offer_expires_at <= now][:limit]

    def loads(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.rows.values():
            if t.assignee_id and t.state in BUSY:
                counts[t.assignee_id] = counts.get(t.assignee_id, 0) + 1
        return counts

    def sla_due(self, now: datetime, limit: int = 200) -> list[Ticket]:
        return sorted((t for t in self._all() if t.next_due_at and t.next_due_at <= now),
                      key=lambda t: t.next_due_at or now)[:limit]

    def followups_due(self, now: datetime, limit: int = 200) -> list[Ticket]:
        return sorted((t for t in self._all() if t.followup_at and t.followup_at <= now),
                      key=lambda t: t.followup_at or now)[:limit]

    def records(self, since: datetime) -> dict[str, Record]:
        return {}

    def log_decision(self, ticket: Ticket, now: datetime, mode: str, chosen: list[str],
                     candidates: list[str]) -> None:
        self.decisions.append((ticket.number, mode, chosen, candidates))

    def between(self, column: str, start: datetime, end: datetime) -> list[Ticket]:
        return [t for t in self._all() if (at := getattr(t, column)) is not None and start <= at < end]

    def callbacks(self, state: str = "open", limit: int = 50) -> list[Ticket]:
        return [t for t in self._all() if t.callback_state == state][:limit]

    def count_callbacks(self, state: str = "open") -> int:
        return len(self.callbacks(state, limit=10**9))

    def count_events(self, action: str, start: datetime, end: datetime) -> int:
        return sum(1 for _, e in self._audit if e.action == action and start <= e.at < end)

    def count_open(self, overdue_at: datetime | None = None) -> int:
        return len([t for t in self.rows.values() if t.is_open and (
            overdue_at is None or (t.resolve_by is not None and t.resolve_by < overdue_at))])

    def overdue(self, now: datetime, limit: int = 20) -> list[Ticket]:
        return [t for t in self._all() if t.is_open and t.resolve_by and t.resolve_by < now][:limit]

    def for_assets(self, asset_ids: set[int]) -> dict[int, list[Ticket]]:
        found: dict[int, list[Ticket]] = {}
        for t in self._all():
            if t.asset_id in asset_ids:
                found.setdefault(t.asset_id, []).append(t)
        return found

    def last_plan_run(self, plan: str) -> datetime | None:
        return max((at for p, at in self.plan_runs if p == plan), default=None)

    def hold_reasons(self, ticket_ids: set[int]) -> dict[int, list[str]]:
        reasons: dict[int, list[str]] = {}
        by_number = {t.number: t.id for t in self.rows.values()}
        for number, e in self._audit:
            tid = by_number.get(number)
            if tid in ticket_ids and e.to_state is State.WAITING and e.reason:
                reasons.setdefault(tid, []).append(e.reason)
        return reasons

    def was_offered(self, number: str, tech_id: str) -> bool:
        return any(n.kind == "offer" and n.ticket_number == number and str(n.role) == "technician"
                   and n.person_id == tech_id for n in self.sent())

    def claim_plan_run(self, plan: str, fire_at: datetime, number: str = "") -> bool:
        if (plan, fire_at) in self.plan_runs and not number:
            return False
        self.plan_runs[(plan, fire_at)] = number
        return True


class FakePeople:
    def __init__(self, tickets: FakeTickets) -> None:
        self.customers: list[Customer] = []
        self.techs: dict[str, Technician] = {}
        self.staff_members: dict[str, Staff] = {}
        self.owned: list[Asset] = []
        self.offered_at: dict[str, datetime] = {}
        self._tickets = tickets

    def customer_by_phone(self, phone: str) -> Customer | None:
        return next((c for c in self.customers if c.phone == phone), None)

    def customer(self, customer_id: int) -> Customer | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def add_customer(self, customer: Customer) -> Customer:
        customer.id = len(self.customers) + 1
        self.customers.append(customer)
        return customer

    def technician(self, tech_id: str) -> Technician | None:
        return copy.deepcopy(self.techs.get(tech_id))

    def technicians(self, skill: str = "") -> list[Technician]:
        return [copy.deepcopy(t) for t in self.techs.values() if not skill or skill in t.skills]

    def find_technician(self, name_or_id: str) -> Technician | None:
        return next((copy.deepcopy(t) for t in self.techs.values() if name_or_id in (t.id, t.name)), None)

    def save_technician(self, tech: Technician) -> None:
        self.techs[tech.id] = copy.deepcopy(tech)

    def mark_offered(self, tech_id: str, now: datetime) -> None:
        self.offered_at[tech_id] = now

    def last_offered(self) -> dict[str, datetime]:
        return dict(self.offered_at)

    def candidates(self, job: Job, neighbours: Mapping[str, tuple[str, ...]], weights: Weights,
                   now: datetime | None, limit: int) -> list[Candidate]:
        """The same ranking the SQL query computes (domain.dispatch.rank is its reference)."""
        return rank(self.techs.values(), job, self._tickets.loads(), self.offered_at, neighbours,
                    None, weights, now, limit)

    def exclusions(self, job: Job) -> Exclusions:
        loads = self._tickets.loads()
        examples: dict[str, tuple[str, ...]] = {}
        for t in self.techs.values():
            why = eligible(t, job, loads)
            if why is not None and len(examples.get(why, ())) < 3:
                examples[why] = (*examples.get(why, ()), t.name)
        return Exclusions(excluded(self.techs.values(), job, loads), examples)

    def refresh_roster(self, records: dict[str, Record]) -> None:
        pass   # the ranking above reads loads live; records are not kept in memory

    def assets(self, customer_id: int) -> list[Asset]:
        return [a for a in self.owned if a.customer_id == customer_id]

    def customers_at(self, community: str, building: str, room: str) -> list[Customer]:
        return []

    def staff(self, staff_id: str) -> Staff | None:
        return self.staff_members.get(staff_id)

    def staff_with_role(self, role: str) -> list[Staff]:
        return [s for s in self.staff_members.values() if s.role == role and s.active]


class FakePlaces:
    def __init__(self, catalog: FakeCatalog | None = None, parts: FakeParts | None = None) -> None:
        self.catalog, self.parts = catalog, parts   # a job's product and parts are read with its site
        self.known: list[Community] = []
        self.sites: list[Site] = []

    def communities(self) -> list[Community]:
        return list(self.known)

    def site(self, site_id: int) -> Site | None:
        return next((s for s in self.sites if s.id == site_id), None)

    def job_facts(self, sku: str, site_id: int | None) -> tuple[Product | None, Site | None, PartsRead]:
        assert self.parts is not None
        return (*self.product_and_site(sku, site_id), self.parts.usage_and_fitting(sku))

    def product_and_site(self, sku: str | None, site_id: int | None) -> tuple[Product | None, Site | None]:
        product = self.catalog.product(sku) if sku and self.catalog is not None else None
        return product, (self.site(site_id) if site_id else None)

    def site_for(self, site: Site) -> Site:
        key = (site.community, site.building, site.unit, site.room)
        found = next((s for s in self.sites if (s.community, s.building, s.unit, s.room) == key), None)
        if found is None:
            found = Site(site.community, site.building, site.unit, site.room, site.region, len(self.sites) + 1)
            self.sites.append(found)
        return found


class FakeCatalog:
    def __init__(self) -> None:
        self.items: dict[str, Product] = {}

    def products(self) -> list[Product]:
        return list(self.items.values())

    def product(self, sku: str) -> Product | None:
        return self.items.get(sku)

    def names(self, skus: Iterable[str]) -> dict[str, str]:
        return {sku: p.name for sku in skus if (p := self.items.get(sku))}


@dataclass
class _Held:
    id: int
    ticket_id: int
    part_sku: str
    location: str
    quantity: int
    status: str = "reserved"


class FakeParts:
    def __init__(self) -> None:
        self.catalog: dict[str, Part] = {}
        self.stocks: dict[tuple[str, str], list[int]] = {}   # (sku, location) -> [quantity, reserved, low_at]
        self.held: list[_Held] = []
        self.used: list[tuple[int, str, str, int]] = []

    def part(self, sku: str) -> Part | None:
        return self.catalog.get(sku)

    def find(self, ref: str) -> Part | None:
        return self.catalog.get(ref) or next((p for p in self.catalog.values() if p.name == ref), None)

    def all(self) -> list[Part]:
        return sorted(self.catalog.values(), key=lambda p: p.sku)

    def fitting(self, product_sku: str) -> list[Part]:
        return [p for p in self.catalog.values() if product_sku in p.fits]

    def usage(self, product_sku: str, limit: int = 500) -> list[tuple[str, int, str]]:
        return []

    def usage_and_fitting(self, product_sku: str, limit: int = 500) -> PartsRead:
        return self.usage(product_sku, limit), self.fitting(product_sku)

    def stock(self, part_sku: str) -> list[Stock]:
        return [Stock(loc, q - r, low) for (sku, loc), (q, r, low) in self.stocks.items() if sku == part_sku]

    def reserve(self, part_sku: str, location: str, quantity: int) -> bool:
        row = self.stocks.get((part_sku, location))
        if row is None or row[0] - row[1] < quantity:
            return False
        row[1] += quantity
        return True

    def take(self, part_sku: str, location: str, quantity: int, reserved: int = 0) -> bool:
        row = self.stocks.get((part_sku, location))
        if row is None or row[0] - row[1] + reserved < quantity:
            return False
        row[0], row[1] = row[0] - quantity, row[1] - reserved
        return True

    def release(self, part_sku: str, location: str, quantity: int) -> None:
        row = self.stocks[(part_sku, location)]
        row[1] -= quantity

    def add_reservation(self, ticket_id: int, part_sku: str, location: str, quantity: int,
                        now: datetime) -> None:
        self.held.append(_Held(len(self.held) + 1, ticket_id, part_sku, location, quantity))

    def reservations(self, ticket_id: int) -> list[Reservation]:
        return [Reservation(h.id, h.part_sku, h.location, h.quantity, h.status)
                for h in self.held if h.ticket_id == ticket_id]

    def set_status(self, reservation_id: int, status: str, quantity: int | None = None) -> None:
        held = next(h for h in self.held if h.id == reservation_id)
        held.status, held.quantity = status, held.quantity if quantity is None else quantity

    def record_use(self, ticket_id: int, part_sku: str, location: str, quantity: int, now: datetime) -> None:
        self.used.append((ticket_id, part_sku, location, quantity))


class FakeOutbox:
    """Notices queued, once per key (the outbox's idempotency), and withdrawn keys."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.withdrawn: list[str] = []

    def add(self, notice: Notice, now: datetime) -> None:
        if notice.key not in self.withdrawn and all(n.key != notice.key for n in self.notices):
            self.notices.append(notice)

    def notices_now(self) -> list[Notice]:
        return self.notices

    def withdraw(self, key: str) -> None:
        """Dropped, not forgotten: the key stays used, as the outbox row does."""
        self.withdrawn.append(key)
        self.notices = [n for n in self.notices if n.key != key]


@dataclass
class FakeUnitOfWork:
    """Stays open across `with` blocks: what one use case committed, the next one sees."""

    audit: list[tuple[str, AuditEntry]] = field(default_factory=list)   # (ticket number, entry)
    commits: int = 0

    def __post_init__(self) -> None:
        self.tickets = FakeTickets(self.audit)
        self.people = FakePeople(self.tickets)
        self.catalog = FakeCatalog()
        self.parts = FakeParts()
        self.places = FakePlaces(self.catalog, self.parts)
        self.outbox = FakeOutbox()
        self.tickets.sent = self.outbox.notices_now   # was_offered reads the notices, as the SQL does
        self._kept = self._snapshot()

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        self.commits += 1
        self._kept = self._snapshot()

    def rollback(self) -> None:
        """Back to the last commit: tickets, notices and audit (the roster and catalogue are seeded)."""
        rows, notices, audit = copy.deepcopy(self._kept)
        self.tickets.rows, self.outbox.notices, self.audit[:] = rows, notices, audit

    def _snapshot(self) -> tuple[dict[str, Ticket], list[Notice], list[tuple[str, AuditEntry]]]:
        return copy.deepcopy((self.tickets.rows, self.outbox.notices, self.audit))

    @property
    def notices(self) -> list[Notice]:
        return self.outbox.notices

    def told(self, person_id: str) -> list[str]:
        """The texts queued for one person, in order."""
        return [n.text for n in self.outbox.notices if n.person_id == person_id]

    def actions(self, number: str) -> list[str]:
        return [e.action for n, e in self.audit if n == number]


if TYPE_CHECKING:
    # mypy (when pointed at tests/) proves the fake is what the use cases ask for.
    _conforms: type[UnitOfWork] = FakeUnitOfWork
