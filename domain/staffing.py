"""Staffing changes: a technician who leaves hands their open jobs back to dispatch."""
from __future__ import annotations

from datetime import datetime

from domain.actors import SYSTEM
from domain.commands import ReleaseJobs
from domain.offers import dispatch
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.saving import locked
from domain.ticket import Action, State

OPEN_JOBS = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)
LEFT = "原师傅已离开组织"


def release_jobs(uow: UnitOfWork, rules: Rules, now: datetime, cmd: ReleaseJobs) -> int:
    """Every open job of the technician goes back through dispatch, with the reason on the trail.

    The transition table has no step from a taken job back to `new`; it is walked as a system
    reassignment followed by an expiry, so dispatch (single offer or grab) runs as for any job.
    """
    tech_id = cmd.tech_id
    numbers = [t.number for t in uow.tickets.for_technician(tech_id, OPEN_JOBS)]
    for number in numbers:
        ticket = locked(uow, number)
        if ticket.state is not State.ASSIGNED:
            ticket.apply(Action.ASSIGN, SYSTEM.label, now, LEFT)
        ticket.apply(Action.EXPIRE, SYSTEM.label, now, LEFT + "，退回派单")
        ticket.declined = [*ticket.declined, tech_id]
        ticket.assignee_id, ticket.offer_expires_at = None, None
        ticket.offered = [t for t in ticket.offered if t != tech_id]
        dispatch(uow, rules, now, ticket)
    return len(numbers)
