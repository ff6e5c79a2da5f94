"""Who may see a ticket: the one rule every command that names a ticket number goes through.

Owners see their own tickets, technicians the jobs they hold or were offered, the service desk
(dispatchers, managers, admins) everything. A ticket someone may not see is answered exactly like
a number that does not exist, so guessing numbers tells nothing (not even that a ticket exists).
"""
from __future__ import annotations

from domain import texts
from domain.model import STAFF_ROLES, Role
from domain.ports import UnitOfWork
from domain.actors import Actor
from domain.errors import Refused
from domain.ticket import Ticket


def may_see(actor: Actor, ticket: Ticket, offered_before: bool = False) -> bool:
    """`offered_before`: the technician was sent this job once (a grab they lost, an offer moved on)."""
    if actor.role in STAFF_ROLES:
        return True
    if actor.role is Role.OWNER:
        return bool(actor.id) and str(ticket.customer_id) == actor.id
    if actor.role is Role.TECHNICIAN:
        related = (ticket.assignee_id, *ticket.offered, *ticket.declined)
        return actor.id in related or offered_before
    return False


def visible_ticket(uow: UnitOfWork, actor: Actor, number: str) -> Ticket:
    """The ticket `number` as `actor` may see it; otherwise refused as an unknown number."""
    ticket = uow.tickets.get(number)
    if ticket is None or not may_see(actor, ticket, _offered_before(uow, actor, ticket)):
        raise Refused(texts.unknown_ticket(number))
    return ticket


def _offered_before(uow: UnitOfWork, actor: Actor, ticket: Ticket) -> bool:
    if actor.role is not Role.TECHNICIAN or actor.id in (ticket.assignee_id, *ticket.offered, *ticket.declined):
        return False  # decided without a query
    return uow.tickets.was_offered(ticket.number, actor.id)
