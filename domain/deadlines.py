"""A ticket's SLA deadlines, set from its policy."""
from __future__ import annotations

from datetime import datetime

from domain.rules import Rules
from domain.sla import Deadlines, deadlines, with_pauses
from domain.ticket import Ticket


def set_deadlines(ticket: Ticket, rules: Rules, start: datetime) -> None:
    """Deadlines from opening (`start`) on the policy, credited with every closed pause.

    Recomputed whole, never nudged, so a priority change or a reassign keeps the
    pause credit; the acceptance clock restarts at `accept_from` after a reassign.
    """
    policy = rules.policy(ticket.type, ticket.priority)
    if policy is None:
        return
    cal = rules.calendars[policy.calendar]
    d = deadlines(policy, cal, start)
    if ticket.accept_from is not None:
        d = Deadlines(cal.add(ticket.accept_from, policy.accept), d.arrive_by, d.resolve_by)
    d = with_pauses(d, cal, ticket.pauses, ticket.accept_from)
    ticket.accept_by, ticket.arrive_by, ticket.resolve_by = d.accept_by, d.arrive_by, d.resolve_by
