"""What an incident does to tickets: one cause ticket is dispatched, the owners' own tickets wait for it
(parked, not dispatched each), and when the cause is fixed each owner is asked to confirm and rate."""
from __future__ import annotations

from datetime import datetime

from domain import incidents as words
from domain import parts as spare_parts
from domain import survey
from domain.actors import SYSTEM, Actor
from domain.commands import OpenTicket
from domain.model import Role
from domain.notices import Notice
from domain.opening import open_ticket
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.saving import keep
from domain.telling import notice_key, notify, tell_owner
from domain.ticket import Action, State, Ticket

PARKED = "批量故障"    # the hold reason of a parked ticket starts with this; settle() frees only those


def open_cause(uow: UnitOfWork, rules: Rules, now: datetime, incident_id: int, kind: str,
               place: tuple[str, str], reports: list[Ticket]) -> Ticket | None:
    """The one job for the cause, opened for the property office's phone and dispatched like any other;
    None when no such phone is configured (the first report then stands for the cause)."""
    phone = rules.incidents.contact_phone
    if not phone or not reports:
        return None
    community, building = place
    numbers = "、".join(t.number for t in reports)
    cmd = OpenTicket(phone=phone, type=rules.incidents.cause_type or rules.default_type,
                     priority=rules.urgent_priority,
                     description=f"【批量故障】{kind}：{len(reports)} 户反映（{numbers}）。{reports[0].description}"[:2000],
                     community=community, building=building, customer_name=f"{community}物业",
                     by=Actor(Role.ADMIN, f"incident:{incident_id}", PARKED))
    return open_ticket(uow, rules, now, cmd)


def park(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, cause: str) -> None:
    """The owner's ticket waits for the cause job: an offer out on it is withdrawn; a visit already under
    way (checked in) is left to finish."""
    if ticket.number == cause or not ticket.can(Action.PARK):
        return
    holders = [ticket.assignee_id] if ticket.assignee_id else list(ticket.offered)
    ticket.apply(Action.PARK, SYSTEM.label, now, f"{PARKED}：由工单 {cause} 统一处理")
    ticket.hold_reason = f"{PARKED}（{cause}）"
    ticket.assignee_id, ticket.offered, ticket.offer_expires_at = None, [], None
    spare_parts.release_all(uow, ticket)
    keep(uow, rules, ticket)
    for tech_id in holders:
        notify(uow, now, Notice(Role.TECHNICIAN, tech_id, "merged",
                                f"工单 {ticket.number} 已并入批量故障，由工单 {cause} 统一处理，无需单独上门。",
                                notice_key(ticket, f"merged-{tech_id}", now), ticket.number))


def settle(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, kind: str, cause: str) -> None:
    """The cause is fixed: a parked ticket is resolved and its owner asked to confirm (then surveyed like
    any repair); a ticket a technician was already working on only hears the news."""
    text = words.resolved_text(kind, ticket.number)
    if ticket.state is not State.WAITING or not ticket.hold_reason.startswith(PARKED):
        tell_owner(uow, now, ticket, "incident_resolved", text)
        return
    ticket.apply(Action.SETTLE, SYSTEM.label, now, f"{PARKED}已处理（{cause}）")
    ticket.hold_reason, ticket.resolved_at = "", now
    ticket.resolution_note = f"{kind}：随工单 {cause} 统一处理"
    survey.after_resolve(ticket, rules, now)
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "incident_resolved", f"{text}\n请确认是否已恢复：", survey.CONFIRM_BUTTONS)


def settle_all(uow: UnitOfWork, rules: Rules, now: datetime, numbers: list[str], kind: str, cause: str) -> int:
    """Every linked owner's ticket but the cause's own hears the fix, once; returns how many."""
    told = 0
    for number in numbers:
        ticket = uow.tickets.get_for_update(number)
        if ticket is not None and number != cause and ticket.is_open:
            settle(uow, rules, now, ticket, kind, cause)
            told += 1
    return told
