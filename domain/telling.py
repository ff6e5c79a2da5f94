"""Telling people: notices queued in the outbox of the caller's unit of work."""
from __future__ import annotations

from datetime import datetime

from domain.model import Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.ticket import Ticket


def notify(uow: UnitOfWork, now: datetime, notice: Notice) -> None:
    uow.outbox.add(notice, now)


def tell_owner(uow: UnitOfWork, now: datetime, ticket: Ticket, kind: str, text: str,
               buttons: tuple[str, ...] = (), due_at: datetime | None = None) -> None:
    notify(uow, now, Notice(Role.OWNER, str(ticket.customer_id), kind, text, notice_key(ticket, kind, now),
                            ticket.number, buttons, due_at))


def tell_desk(uow: UnitOfWork, now: datetime, ticket: Ticket, kind: str, text: str) -> None:
    for person in uow.people.staff_with_role(Role.DISPATCHER):
        notify(uow, now, Notice(Role.DISPATCHER, person.id, kind, text,
                                notice_key(ticket, f"{kind}-{person.id}", now), ticket.number))


def notice_key(ticket: Ticket, kind: str, now: datetime) -> str:
    """One notice per ticket, kind and moment: a retried use case does not tell twice."""
    return f"{ticket.number}:{kind}:{now.isoformat()}"
