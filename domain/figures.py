"""Managers' figures over any period: the totals, the overdue list, technicians ranked, by region or product."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain import texts
from domain.ports import UnitOfWork
from domain.reports import today_figures, today_text
from domain.rules import Rules
from domain.stats import figures_text, is_parts_wait, quality, quality_text, ranking, ranking_text
from domain.ticket import State, Ticket


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


def _finished(uow: UnitOfWork, rules: Rules, first: date, last: date) -> list[Ticket]:
    start, end = bounds(rules, first, last)
    return [t for t in uow.tickets.between("resolved_at", start, end) if t.state in (State.RESOLVED, State.CLOSED)]


def _waited(uow: UnitOfWork, tickets: list[Ticket]) -> set[str]:
    holds = uow.tickets.hold_reasons({t.id for t in tickets if t.id is not None})
    return {t.number for t in tickets if any(is_parts_wait(r) for r in holds.get(t.id or -1, []))}


def ranking_over(uow: UnitOfWork, rules: Rules, first: date, last: date) -> str:
    done = _finished(uow, rules, first, last)
    rows = ranking(done, _waited(uow, done))
    names = {r.tech_id: tech.name for r in rows if (tech := uow.people.technician(r.tech_id))}
    return ranking_text(title(first, last), rows, names)


def breakdown_over(uow: UnitOfWork, rules: Rules, first: date, last: date, by: str) -> str:
    """Jobs finished in the period, grouped by region or by product."""
    done = _finished(uow, rules, first, last)
    sites = {t.site_id for t in done if t.site_id}
    region_of = {sid: (site.region if (site := uow.places.site(sid)) else "") for sid in sites}
    regions = {t.number: region_of.get(t.site_id or -1, "") for t in done}
    q = quality(done, regions, uow.tickets.for_assets({t.asset_id for t in done if t.asset_id}), _waited(uow, done))
    if by == "region":
        q = type(q)(q.total, {}, q.by_region)
    else:
        q = type(q)(q.total, q.by_product, {})
    names = {sku: p.name for sku in q.by_product if (p := uow.catalog.product(sku))}
    days = (last - first).days + 1
    return f"📊 {title(first, last)}\n" + quality_text(days, q, names)
