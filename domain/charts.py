"""The figures behind a chart: a period's days, totals and rankings, as plain data.

Only counts, rates and the names of regions, products and technicians: never a phone number or
a person's address, since a chart is forwarded and screenshotted.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.ticket import State, Ticket

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
    """Figures for the days first..last (in the desk's zone); open and overdue as of `now`."""
    start = datetime.combine(first, time(0), rules.tz)
    end = datetime.combine(last + timedelta(days=1), time(0), rules.tz)
    created = uow.tickets.between("created_at", start, end)
    closed = [t for t in uow.tickets.between("closed_at", start, end) if t.state is State.CLOSED]
    resolved = uow.tickets.between("resolved_at", start, end)
    ratings = [t.rating for t in closed if t.rating is not None]
    return ChartFigures(
        title, first, last, _per_day(created, closed, first, last, rules), len(created), len(closed),
        uow.tickets.count_open(), uow.tickets.count_open(overdue_at=now),
        sum(1 for t in resolved if not t.breaches) / len(resolved) if resolved else None,
        sum(ratings) / len(ratings) if ratings else None,
        _regions(uow, created), _products(uow, created), _technicians(uow, closed))


def _per_day(created: Sequence[Ticket], closed: Sequence[Ticket], first: date, last: date,
             rules: Rules) -> tuple[DayCount, ...]:
    made = Counter(t.created_at.astimezone(rules.tz).date() for t in created)
    done = Counter(t.closed_at.astimezone(rules.tz).date() for t in closed if t.closed_at)
    span = (last - first).days + 1
    return tuple(DayCount(d, made[d], done[d]) for d in (first + timedelta(days=i) for i in range(span)))


def _top(counts: Counter[str]) -> tuple[Ranked, ...]:
    return tuple(Ranked(name, n) for name, n in counts.most_common(TOP))


def _regions(uow: UnitOfWork, tickets: Sequence[Ticket]) -> tuple[Ranked, ...]:
    region: dict[int, str] = {}
    for sid in {t.site_id for t in tickets if t.site_id}:
        site = uow.places.site(sid)
        region[sid] = site.region if site and site.region else "未分区"
    return _top(Counter(region.get(t.site_id or -1, "未知") for t in tickets))


def _products(uow: UnitOfWork, tickets: Sequence[Ticket]) -> tuple[Ranked, ...]:
    names = {sku: (p.name if (p := uow.catalog.product(sku)) else sku)
             for sku in {t.product_sku for t in tickets if t.product_sku}}
    return _top(Counter(names.get(t.product_sku or "", "未注明") for t in tickets))


def _technicians(uow: UnitOfWork, closed: Sequence[Ticket]) -> tuple[Ranked, ...]:
    jobs: dict[str, list[Ticket]] = {}
    for t in closed:
        if t.assignee_id:
            jobs.setdefault(t.assignee_id, []).append(t)
    ranked = []
    for tech_id, done in sorted(jobs.items(), key=lambda kv: -len(kv[1]))[:TOP]:
        tech = uow.people.technician(tech_id)
        rated = [t.rating for t in done if t.rating is not None]
        ranked.append(Ranked(tech.name if tech else tech_id, len(done), sum(rated) / len(rated) if rated else None))
    return tuple(ranked)


def last_days(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def this_week(today: date) -> tuple[date, date]:
    return today - timedelta(days=today.weekday()), today


def this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today
