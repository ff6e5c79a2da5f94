"""Figures for managers: 今日统计 on request, and the daily report at the configured time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain import texts
from domain.calendar import ending_soon
from domain.charts import chart_figures, chart_notice, last_days
from domain.model import Role
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.stats import DayFigures, Quality, figures_text, quality_text
from domain.ticket import Ticket


def today_figures(uow: UnitOfWork, rules: Rules, now: datetime, day: date | None = None,
                  until: datetime | None = None) -> tuple[str, DayFigures]:
    """The figures of `day` (default: today in the desk's zone), or from `day` up to `until`;
    open and overdue as of `now`."""
    local = now.astimezone(rules.tz)
    start = datetime.combine(day or local.date(), time(0), rules.tz)
    return f"{start:%Y-%m-%d}", period_figures(uow, start, until or start + timedelta(days=1), now)


def period_figures(uow: UnitOfWork, start: datetime, end: datetime, now: datetime) -> DayFigures:
    """The figures of any period [start, end) (a day, a week, a month); open and overdue as of `now`.
    Counted by the database (storage/stats_query.py) as `domain.stats.day_figures` defines them."""
    return uow.tickets.figures(start, end, now)


def quality_between(uow: UnitOfWork, start: datetime, end: datetime) -> Quality:
    """Service quality over tickets closed in [start, end), as `domain.stats.quality` defines it."""
    return uow.tickets.quality(start, end)


def quality_over(uow: UnitOfWork, rules: Rules, now: datetime, days: int = 30) -> Quality:
    return quality_between(uow, now - timedelta(days=days), now + timedelta(seconds=1))


def today_text(uow: UnitOfWork, rules: Rules, now: datetime) -> str:
    q = quality_over(uow, rules, now)
    names = uow.catalog.names(q.by_product)
    return figures_text(*today_figures(uow, rules, now)) + "\n" + quality_text(30, q, names)


DEADLINES = (("accept", "接单"), ("arrive", "上门"), ("resolve", "解决"))


def missed(ticket: Ticket, now: datetime) -> list[tuple[str, datetime]]:
    """The deadlines this ticket missed, with their times: done after it, or not done by `now`."""
    done = {"accept": ticket.accepted_at, "arrive": ticket.arrived_at, "resolve": ticket.resolved_at}
    due = {"accept": ticket.accept_by, "arrive": ticket.arrive_by, "resolve": ticket.resolve_by}
    return [(kind, by) for kind, _ in DEADLINES if (by := due[kind]) is not None and by < (done[kind] or now)]


def overdue_lines(uow: UnitOfWork, rules: Rules, now: datetime, limit: int = 10) -> list[str]:
    """超时工单 grouped by the deadline missed, each with that deadline's time, not a later one."""
    overdue = [(t, missed(t, now)) for t in uow.tickets.overdue(now, limit=limit)]
    if not overdue:
        return []
    lines = ["超时工单："]
    for kind, label in DEADLINES:
        late = [(t, by) for t, kinds in overdue for k, by in kinds if k == kind]
        if late:
            lines.append(f"{label}超时：")
            lines += [f"  {t.number} {texts.state(t)} {label}时限 {texts.when(by, rules.tz)} "
                      f"{texts.tech_label(uow, t.assignee_id)}" for t, by in late]
    return lines


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
    lines += overdue_lines(uow, rules, now)
    if rules.calendar_known_until is not None:
        lines += filter(None, [ending_soon(now.astimezone(rules.tz).date(), rules.calendar_known_until)])
    text = "\n".join(lines)
    managers = uow.people.staff_with_role(Role.MANAGER)
    if not managers:
        return 0
    report_day = slot.astimezone(rules.tz).date()
    chart = chart_figures(uow, rules, now, *last_days(report_day, 7), "日报")
    for m in managers:
        uow.outbox.add(chart_notice(Role.MANAGER, m.id, chart, f"daily:{day}:{m.id}", text, "daily_report"), now)
    return len(managers)
