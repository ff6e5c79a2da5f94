"""Figures for managers: 今日统计 on request, and the daily report at the configured time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain import texts
from domain.model import Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.stats import DayFigures, Quality, day_figures, figures_text, is_parts_wait, quality, quality_text
from domain.ticket import State


def today_figures(uow: UnitOfWork, rules: Rules, now: datetime, day: date | None = None,
                  until: datetime | None = None) -> tuple[str, DayFigures]:
    """The figures of `day` (default: today in the desk's zone), or from `day` up to `until`;
    open and overdue as of `now`."""
    local = now.astimezone(rules.tz)
    start = datetime.combine(day or local.date(), time(0), rules.tz)
    end = until or start + timedelta(days=1)
    t = uow.tickets
    figures = day_figures(t.between("created_at", start, end), t.between("accepted_at", start, end),
                          t.between("resolved_at", start, end), t.between("closed_at", start, end),
                          t.count_open(), t.count_open(overdue_at=now), t.count_events("sla_breach", start, end),
                          t.count_callbacks("open"))
    return f"{start:%Y-%m-%d}", figures


def quality_over(uow: UnitOfWork, rules: Rules, now: datetime, days: int = 30) -> Quality:
    closed = uow.tickets.between("closed_at", now - timedelta(days=days), now + timedelta(seconds=1))
    closed = [t for t in closed if t.state is State.CLOSED]
    sites = {t.site_id for t in closed if t.site_id}
    region_of = {sid: (site.region if (site := uow.places.site(sid)) else "") for sid in sites}
    regions = {t.number: region_of.get(t.site_id or -1, "") for t in closed}
    history = uow.tickets.for_assets({t.asset_id for t in closed if t.asset_id})
    holds = uow.tickets.hold_reasons({t.id for t in closed if t.id is not None})
    waited = {t.number for t in closed if any(is_parts_wait(r) for r in holds.get(t.id or -1, []))}
    return quality(closed, regions, history, waited)


def today_text(uow: UnitOfWork, rules: Rules, now: datetime) -> str:
    q = quality_over(uow, rules, now)
    names = {sku: p.name for sku in q.by_product if (p := uow.catalog.product(sku))}
    return figures_text(*today_figures(uow, rules, now)) + "\n" + quality_text(30, q, names)


DAILY_REPORT = "daily-report"   # its runs are recorded beside the maintenance plans' runs


def report_due(rules: Rules, now: datetime, last: datetime | None) -> datetime | None:
    """The report time still to be served, or None. The latest scheduled time up to `now`
    counts (today's, or yesterday's before today's comes: a worker that was down at the
    time catches up once, even after midnight); a desk that never reported starts today."""
    if rules.daily_report_at is None:
        return None
    local = now.astimezone(rules.tz)
    slot = datetime.combine(local.date(), rules.daily_report_at, rules.tz)
    if slot > now:
        slot -= timedelta(days=1)
        if last is None:
            return None
    return slot if last is None or last < slot else None


def send_daily_report(uow: UnitOfWork, rules: Rules, now: datetime) -> int:
    """Once per day: the recorded run is checked (one indexed read) before any figure is computed."""
    slot = report_due(rules, now, uow.tickets.last_plan_run(DAILY_REPORT))
    if slot is None or not uow.tickets.claim_plan_run(DAILY_REPORT, slot):
        return 0
    day, figures = today_figures(uow, rules, now, slot.astimezone(rules.tz).date())
    lines = [figures_text(day, figures).replace("今日统计", "日报")]
    overdue = uow.tickets.overdue(now, limit=10)
    if overdue:
        lines.append("超时工单：")
        lines += [f"{t.number} {texts.state(t)} 时限 {texts.when(t.resolve_by, rules.tz)} "
                  f"{texts.tech_label(uow, t.assignee_id)}"
                  for t in overdue]
    text = "\n".join(lines)
    managers = uow.people.staff_with_role(Role.MANAGER)
    for m in managers:
        uow.outbox.add(Notice(Role.MANAGER, m.id, "daily_report", text, f"daily:{day}:{m.id}"), now)
    return len(managers)
