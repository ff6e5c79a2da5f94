"""Managers' figures over any period: the totals, the overdue list, technicians ranked, by region or product."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain import texts
from domain.ports import UnitOfWork
from domain.reports import today_figures, today_text
from domain.rules import Rules
from domain.stats import RANKED, figures_text, quality_text, ranking_text


def bounds(rules: Rules, first: date, last: date) -> tuple[datetime, datetime]:
    """Local midnight of `first` to local midnight after `last`."""
    return (datetime.combine(first, time(0), rules.tz),
            datetime.combine(last + timedelta(days=1), time(0), rules.tz))


def title(first: date, last: date) -> str:
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} 至 {last:%Y-%m-%d}"


def period_text(uow: UnitOfWork, rules: Rules, now: datetime, first: date, last: date) -> str:
    """The same figures as 今日统计, over the days from `first` to `last`."""
    today = now.astimezone(rules.tz).date()
    if first == last == today:
        return today_text(uow, rules, now)
    _, end = bounds(rules, first, last)
    _, figures = today_figures(uow, rules, now, first, end)
    return figures_text(title(first, last), figures, "统计")


def overdue_text(uow: UnitOfWork, rules: Rules, now: datetime, limit: int = 20) -> str:
    late = uow.tickets.overdue(now, limit=limit)
    if not late:
        return "目前没有超时的工单。"
    lines = [f"⏰ 超时工单 {len(late)} 张" + ("（仅列前 %d 张）" % limit if len(late) == limit else "") + "："]
    lines += [f"{t.number} {texts.state(t)} {rules.priority_name(t.priority)} 时限 {texts.when(t.resolve_by, rules.tz)} "
              f"{texts.tech_label(uow, t.assignee_id)}" for t in late]
    return "\n".join(lines)


def ranking_over(uow: UnitOfWork, rules: Rules, first: date, last: date) -> str:
    """Technicians over the jobs they finished in the period, summed by the database."""
    rows = uow.tickets.ranking(*bounds(rules, first, last))
    names = {r.tech_id: tech.name for r in rows[:RANKED] if (tech := uow.people.technician(r.tech_id))}
    return ranking_text(title(first, last), rows, names)


def breakdown_over(uow: UnitOfWork, rules: Rules, first: date, last: date, by: str) -> str:
    """Jobs finished in the period, grouped by region or by product."""
    q = uow.tickets.quality(*bounds(rules, first, last), over="resolved")
    if by == "region":
        q = type(q)(q.total, {}, q.by_region)
    else:
        q = type(q)(q.total, q.by_product, {})
    names = uow.catalog.names(q.by_product)
    days = (last - first).days + 1
    return f"📊 {title(first, last)}\n" + quality_text(days, q, names)
