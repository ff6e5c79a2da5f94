"""Use cases for opening and dispatching tickets. Each runs inside the caller's unit of work."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain import texts
from domain.dispatch import Job, rank
from domain.model import Customer, Role, Site
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.sla import deadlines
from domain.ticket import Action, State, Ticket


class Refused(Exception):
    """A polite no: the message is shown to the person as it is."""


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.role}:{self.id}"


SYSTEM = Actor(Role.ADMIN, "system", "系统")


@dataclass(frozen=True)
class OpenTicket:
    phone: str
    type: str
    priority: str
    description: str
    community: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    product_sku: str | None = None
    preferred: tuple[datetime, datetime] | None = None
    photos: tuple[str, ...] = ()
    customer_name: str = ""


def open_ticket(uow: UnitOfWork, rules: Rules, now: datetime, cmd: OpenTicket, by: Actor) -> Ticket:
    customer = uow.people.customer_by_phone(cmd.phone) or uow.people.add_customer(
        Customer(phone=cmd.phone, name=cmd.customer_name))
    assert customer.id is not None
    site = _site(uow, cmd)
    day = now.astimezone(rules.tz).strftime("%Y%m%d")
    ticket = Ticket(
        number=uow.tickets.next_number(rules.number_prefix, day), type=cmd.type,
        priority=cmd.priority, description=cmd.description, customer_id=customer.id,
        created_at=now, site_id=site.id if site else None, product_sku=cmd.product_sku,
        photos=list(cmd.photos))
    if cmd.preferred:
        ticket.appointment_start, ticket.appointment_end = cmd.preferred
    set_deadlines(ticket, rules, now)
    opener = f"owner:{customer.id}" if by.role is Role.OWNER else by.label
    ticket.record("open", opener, now, "代客报修" if by.role is not Role.OWNER else "")
    if by.role is not Role.OWNER:
        notify(uow, now, Notice(Role.OWNER, str(customer.id), "opened",
                                texts.opened_for_owner(ticket, rules), _key(ticket, "opened", now),
                                ticket.number))
    dispatch(uow, rules, now, ticket)
    return ticket


def _site(uow: UnitOfWork, cmd: OpenTicket) -> Site | None:
    if not cmd.community:
        return None
    region = next((c.region for c in uow.places.communities() if c.name == cmd.community), "")
    return uow.places.site_for(Site(cmd.community, cmd.building, cmd.unit, cmd.room, region))


def set_deadlines(ticket: Ticket, rules: Rules, start: datetime) -> None:
    policy = rules.policy(ticket.type, ticket.priority)
    if policy is None:
        return
    d = deadlines(policy, rules.calendars[policy.calendar], start)
    ticket.accept_by, ticket.arrive_by, ticket.resolve_by = d.accept_by, d.arrive_by, d.resolve_by


def dispatch(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    """Offer the ticket to the best eligible technician, or tell the dispatchers no one is left."""
    product = uow.catalog.product(ticket.product_sku) if ticket.product_sku else None
    site = uow.places.site(ticket.site_id) if ticket.site_id else None
    job = Job(product.skill if product else "", site.region if site else "", frozenset(ticket.declined))
    ranked = rank(uow.people.technicians(), job, uow.tickets.loads(), uow.people.last_offered(),
                  rules.region_neighbours)
    if not ranked:
        uow.tickets.save(ticket)
        tell_desk(uow, now, ticket, "unassigned", texts.nobody_left(ticket))
        return
    offer(uow, rules, now, ticket, ranked[0].tech.id, Action.OFFER, SYSTEM, "；".join(ranked[0].reasons))


def offer(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, tech_id: str,
          action: Action, by: Actor, reason: str) -> None:
    ticket.apply(action, by.label, now, f"{tech_id}（{reason}）" if reason else tech_id)
    ticket.assignee_id = tech_id
    ticket.offer_expires_at = now + rules.offer_timeout
    uow.people.mark_offered(tech_id, now)
    uow.tickets.save(ticket)
    product = uow.catalog.product(ticket.product_sku) if ticket.product_sku else None
    site = uow.places.site(ticket.site_id) if ticket.site_id else None
    text = texts.offer(ticket, rules, product, site)
    notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "offer", text, _key(ticket, f"offer-{tech_id}", now),
                            ticket.number, (f"接单 {ticket.number}", f"拒单 {ticket.number}")))


def accept_offer(uow: UnitOfWork, rules: Rules, now: datetime, number: str, tech: Actor) -> Ticket:
    ticket = locked(uow, number)
    if ticket.state is not State.ASSIGNED or ticket.assignee_id != tech.id:
        raise Refused(texts.not_your_offer(ticket))
    ticket.apply(Action.ACCEPT, tech.label, now)
    ticket.accepted_at, ticket.offer_expires_at = now, None
    uow.tickets.save(ticket)
    person = uow.people.technician(tech.id)
    tell_owner(uow, now, ticket, "accepted", texts.accepted_for_owner(ticket, person))
    return ticket


def reject_offer(uow: UnitOfWork, rules: Rules, now: datetime, number: str, tech: Actor,
                 reason: str = "") -> Ticket:
    ticket = locked(uow, number)
    if ticket.state is not State.ASSIGNED or ticket.assignee_id != tech.id:
        raise Refused(texts.not_your_offer(ticket))
    _back_to_dispatch(ticket, Action.REJECT, tech.label, now, reason)
    dispatch(uow, rules, now, ticket)
    return ticket


def expire_offers(uow: UnitOfWork, rules: Rules, now: datetime) -> int:
    """Offers nobody answered in time go to the next candidate."""
    numbers = uow.tickets.offers_expired(now)
    for number in numbers:
        ticket = uow.tickets.get_for_update(number)
        if ticket is None or ticket.state is not State.ASSIGNED or not ticket.offer_expires_at \
                or ticket.offer_expires_at > now:
            continue
        tech_id = ticket.assignee_id or ""
        _back_to_dispatch(ticket, Action.EXPIRE, SYSTEM.label, now, "超时未接单")
        notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "expired", texts.offer_expired(ticket),
                                _key(ticket, f"expired-{tech_id}", now), ticket.number))
        dispatch(uow, rules, now, ticket)
    return len(numbers)


def _back_to_dispatch(ticket: Ticket, action: Action, actor: str, now: datetime, reason: str) -> None:
    ticket.apply(action, actor, now, reason)
    if ticket.assignee_id:
        ticket.declined = [*ticket.declined, ticket.assignee_id]
    ticket.assignee_id, ticket.offer_expires_at = None, None


def locked(uow: UnitOfWork, number: str) -> Ticket:
    ticket = uow.tickets.get_for_update(number.upper())
    if ticket is None:
        raise Refused(texts.unknown_ticket(number))
    return ticket


def notify(uow: UnitOfWork, now: datetime, notice: Notice) -> None:
    uow.outbox.add(notice, now)


def tell_owner(uow: UnitOfWork, now: datetime, ticket: Ticket, kind: str, text: str,
               buttons: tuple[str, ...] = (), due_at: datetime | None = None) -> None:
    notify(uow, now, Notice(Role.OWNER, str(ticket.customer_id), kind, text, _key(ticket, kind, now),
                            ticket.number, buttons, due_at))


def tell_desk(uow: UnitOfWork, now: datetime, ticket: Ticket, kind: str, text: str) -> None:
    for person in uow.people.staff_with_role(Role.DISPATCHER):
        notify(uow, now, Notice(Role.DISPATCHER, person.id, kind, text,
                                _key(ticket, f"{kind}-{person.id}", now), ticket.number))


def _key(ticket: Ticket, kind: str, now: datetime) -> str:
    return f"{ticket.number}:{kind}:{now.isoformat()}"

