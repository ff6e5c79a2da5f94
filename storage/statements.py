"""The month's closed tickets summed for a statement, by technician or by site region, by the database."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from domain.rules import Rules
from domain.statements import Statement, month_span, statement
from domain.ticket import State
from storage.tables import SiteRow, TicketRow
from storage.uow import SqlUnitOfWork


def _sums() -> list[Any]:
    """As a statement line counts: jobs, labour, parts, what customers paid, then the in-warranty jobs
    and their labour and parts (borne by the company)."""
    t = TicketRow
    warranty = t.warranty == "in"
    return [func.count(), func.sum(t.labour_cents), func.sum(t.parts_cents), func.sum(t.charge_cents),
            func.sum(case((warranty, 1), else_=0)), func.sum(case((warranty, t.labour_cents + t.parts_cents), else_=0))]


def load_statement(uow: SqlUnitOfWork, rules: Rules, month: date, by: str) -> Statement:
    start, end = month_span(month, rules.tz)
    t = TicketRow
    closed = (t.state == State.CLOSED.value, t.closed_at >= start, t.closed_at < end)
    if by == "technician":
        rows = uow.session.execute(select(t.assignee_id, *_sums()).where(*closed).group_by(t.assignee_id)).all()
        names = {tid: (tech.name if (tech := uow.people.technician(tid)) else tid) for tid, *_ in rows if tid}
        return statement(month, by, [(names[tid] if tid else "未派", sums) for tid, *sums in rows])
    rows = uow.session.execute(select(SiteRow.region, *_sums()).outerjoin(SiteRow, SiteRow.id == t.site_id)
                               .where(*closed).group_by(SiteRow.region)).all()
    return statement(month, by, [(region or "未分区", sums) for region, *sums in rows])
