"""Offers that can no longer be taken are not delivered late (a card held until the technician wrote,
released after the job went to someone else), and neither is the timeout of an offer never seen."""
from __future__ import annotations

from domain.model import Role
from domain.ticket import State
from storage.outbox import Due
from storage.uow import SqlUnitOfWork


def moved_on(uow: SqlUnitOfWork, row: Due) -> bool:
    if row.role != Role.TECHNICIAN or not row.ticket_number or row.kind not in ("offer", "expired"):
        return False
    if row.kind == "expired":
        return not _card_went_out(uow, row)
    ticket = uow.tickets.get(row.ticket_number)
    if ticket is None or ticket.state is not State.ASSIGNED:
        return True
    return row.person_id != ticket.assignee_id and row.person_id not in ticket.offered


def _card_went_out(uow: SqlUnitOfWork, row: Due) -> bool:
    return uow.outbox.offer_went_out(row.ticket_number or "", row.person_id)
