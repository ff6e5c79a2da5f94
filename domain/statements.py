"""Monthly statements (结算单): per technician or per region, what the month's closed jobs came to."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

from domain.ticket import State, Ticket

BY = ("technician", "region")
STATEMENT = "statement"   # an outbox attachment: {"render": "statement", "month": "2026-11-01", "by": …, "excel": …}


def statement_attachment(month: date, by: str, excel: bool) -> dict[str, Any]:
    return {"render": STATEMENT, "month": month.replace(day=1).isoformat(), "by": by, "excel": excel}


@dataclass(frozen=True)
class StatementLine:
    name: str
    jobs: int
    labour_cents: int
    parts_cents: int
    paid_cents: int               # what customers paid
    warranty_jobs: int
    warranty_cost_cents: int      # labour and parts of in-warranty work, borne by the company, at cost


@dataclass(frozen=True)
class Statement:
    month: date                   # the first day
    by: str                       # technician or region
    lines: tuple[StatementLine, ...]
    total: StatementLine


def month_span(month: date, tz: tzinfo) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return datetime.combine(first, time(0), tz), datetime.combine(after, time(0), tz)


def _line(name: str, jobs: Sequence[Ticket]) -> StatementLine:
    warranty = [t for t in jobs if t.warranty == "in"]
    return StatementLine(name, len(jobs), sum(t.labour_cents for t in jobs), sum(t.parts_cents for t in jobs),
                         sum(t.charge_cents for t in jobs), len(warranty),
                         sum(t.labour_cents + t.parts_cents for t in warranty))


def statement(month: date, by: str, closed: Sequence[Ticket], group: Mapping[str, str]) -> Statement:
    """`closed`: the month's closed tickets; `group`: each ticket number's technician or region name."""
    jobs = [t for t in closed if t.state is State.CLOSED]
    groups: dict[str, list[Ticket]] = {}
    for t in jobs:
        groups.setdefault(group.get(t.number) or "未知", []).append(t)
    lines = tuple(_line(name, groups[name]) for name in sorted(groups))
    return Statement(month.replace(day=1), by, lines, _line("合计", jobs))
