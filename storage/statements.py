"""The month's closed tickets grouped for a statement: by technician name or by site region."""
from __future__ import annotations

from datetime import date

from domain.rules import Rules
from domain.statements import Statement, month_span, statement
from domain.ticket import State
from storage.uow import SqlUnitOfWork


def load_statement(uow: SqlUnitOfWork, rules: Rules, month: date, by: str) -> Statement:
    start, end = month_span(month, rules.tz)
    closed = [t for t in uow.tickets.between("closed_at", start, end) if t.state is State.CLOSED]
    if by == "technician":
        names = {tid: (tech.name if (tech := uow.people.technician(tid)) else tid)
                 for tid in {t.assignee_id for t in closed if t.assignee_id}}
        group = {t.number: names.get(t.assignee_id or "", "未派") for t in closed}
    else:
        regions = {sid: (site.region if (site := uow.places.site(sid)) and site.region else "未分区")
                   for sid in {t.site_id for t in closed if t.site_id}}
        group = {t.number: regions.get(t.site_id or -1, "未分区") for t in closed}
    return statement(month, by, closed, group)
