"""Monthly statements (结算单): per technician or per region, what the month's closed jobs came to."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

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


def statement(month: date, by: str, groups: Iterable[tuple[str, Sequence[int]]]) -> Statement:
    """`groups`: the month's closed jobs summed per technician or region, each named, as
    [jobs, labour, parts, paid, in-warranty jobs, in-warranty labour and parts]; groups of one name
    are added together, a group without a name is 未知."""
    named: dict[str, list[int]] = {}
    total = [0] * 6
    for name, sums in groups:
        for into in (named.setdefault(name or "未知", [0] * 6), total):
            for i, value in enumerate(sums):
                into[i] += int(value or 0)
    lines = tuple(StatementLine(name, *named[name]) for name in sorted(named))
    return Statement(month.replace(day=1), by, lines, StatementLine("合计", *total))
