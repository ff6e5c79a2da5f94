"""Loading a ticket under its row lock, and saving it with its SLA clock up to date."""
from __future__ import annotations

from domain import texts
from domain.errors import Refused
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.sla_watch import refresh
from domain.ticket import Ticket


def locked(uow: UnitOfWork, number: str) -> Ticket:
    ticket = uow.tickets.get_for_update(number.upper())
    if ticket is None:
        raise Refused(texts.unknown_ticket(number))
    return ticket


def keep(uow: UnitOfWork, rules: Rules, ticket: Ticket) -> None:
    """Save a changed ticket with its SLA clock brought up to date."""
    refresh(ticket, rules)
    uow.tickets.save(ticket)
