"""The figures behind a chart: a period's days, totals and rankings, as plain data.

Only counts, rates and the names of regions, products and technicians: never a phone number or
a person's address, since a chart is forwarded and screenshotted.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules

TOP = 5
CHART = "chart"   # an outbox attachment: {"render": "chart", "figures": ChartFigures.to_dict()}


@dataclass(frozen=True)
class DayCount:
    day: date
    created: int
    closed: int


@dataclass(frozen=True)
class Ranked:
    name: str
    count: int
    rating: float | None = None


@dataclass(frozen=True)
class ChartFigures:
    title: str
    first: date
    last: date
    days: tuple[DayCount, ...]
    created: int
    closed: int
    open: int
    overdue: int
    on_time: float | None           # share of the period's resolved tickets with no deadline missed
    avg_rating: float | None
    by_region: tuple[Ranked, ...]
    by_product: tuple[Ranked, ...]
    technicians: tuple[Ranked, ...]  # the most jobs closed, with their average rating

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first"], data["last"] = self.first.isoformat(), self.last.isoformat()
        data["days"] = [[d.day.isoformat(), d.created, d.closed] for d in self.days]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChartFigures:
        def ranked(rows: list[dict[str, Any]]) -> tuple[Ranked, ...]:
            return tuple(Ranked(r["name"], r["count"], r.get("rating")) for r in rows)
        return cls(data["title"], date.fromisoformat(data["first"]), date.fromisoformat(data["last"]),
                   tuple(DayCount(date.fromisoformat(d), c, k) for d, c, k in data["days"]),
                   data["created"], data["closed"], data["open"], data["overdue"], data["on_time"],
                   data["avg_rating"], ranked(data["by_region"]), ranked(data["by_product"]),
                   ranked(data["technicians"]))


def chart_attachment(figures: ChartFigures) -> dict[str, Any]:
    return {"render": CHART, "figures": figures.to_dict()}


def chart_notice(role: str, person_id: str, figures: ChartFigures, key: str, text: str = "",
                 kind: str = "chart") -> Notice:
    """The outbox notice that carries a chart: the worker renders it off the request path and each
    platform's sender uploads it as an image, with `text` (the figures in words) beside it."""
    return Notice(role, person_id, kind, text, key, attachment=chart_attachment(figures))


def chart_figures(uow: UnitOfWork, rules: Rules, now: datetime, first: date, last: date,
                  title: str) -> ChartFigures:
    """Figures for the days first..last (in the desk's zone); open and overdue as of `now`. The database
    counts them (storage/stats_query.py); this names and ranks what it counted."""
    start = datetime.combine(first, time(0), rules.tz)
    end = datetime.combine(last + timedelta(days=1), time(0), rules.tz)
    c = uow.tickets.chart_counts(start, end, rules.tz)
    days = tuple(DayCount(d, c.created_per_day.get(d, 0), c.closed_per_day.get(d, 0))
                 for d in (first + timedelta(days=i) for i in range((last - first).days + 1)))
    return ChartFigures(
        title, first, last, days, sum(c.created_per_day.values()), sum(c.closed_per_day.values()),
        uow.tickets.count_open(), uow.tickets.count_open(overdue_at=now),
        c.resolved_in_time / c.resolved if c.resolved else None, c.rating_sum / c.rated if c.rated else None,
        _top(c.by_region), _top(_products(uow, c.by_product)), _technicians(uow, c.by_technician))


def _top(counts: dict[str, int]) -> tuple[Ranked, ...]:
    """The most first; names break ties."""
    return tuple(Ranked(name, n) for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])


def _products(uow: UnitOfWork, by_sku: dict[str, int]) -> dict[str, int]:
    """Counts by product name: a sku the catalog does not know by itself, none as 未注明."""
    names = uow.catalog.names(sku for sku in by_sku if sku)
    counts: dict[str, int] = {}
    for sku, n in by_sku.items():
        name = names.get(sku, sku) if sku else "未注明"
        counts[name] = counts.get(name, 0) + n
    return counts


def _technicians(uow: UnitOfWork, jobs: dict[str, tuple[int, int, int]]) -> tuple[Ranked, ...]:
    """The most jobs closed first (ids break ties), each with the average of its ratings."""
    ranked = []
    for tech_id, (done, total, rated) in sorted(jobs.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP]:
        tech = uow.people.technician(tech_id)
        ranked.append(Ranked(tech.name if tech else tech_id, done, total / rated if rated else None))
    return tuple(ranked)


def last_days(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def this_week(today: date) -> tuple[date, date]:
    return today - timedelta(days=today.weekday()), today


def this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today
