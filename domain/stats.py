"""The day's figures, as managers ask for them (今日统计)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from datetime import date, timedelta

from domain.ticket import Ticket


@dataclass(frozen=True)
class DayFigures:
    created: int
    closed: int
    open: int
    overdue: int
    avg_accept: timedelta | None      # opening → accepted, for tickets accepted that day
    avg_resolve: timedelta | None     # opening → resolved, for tickets resolved that day
    avg_rating: float | None
    rated: int
    breaches: int = 0                  # SLA deadlines missed that day (each breach once)
    resolved: int = 0
    resolved_in_time: int = 0          # resolved that day without any deadline missed
    callbacks_open: int = 0            # low ratings still waiting for the desk's follow-up call

    @property
    def sla_attainment(self) -> float | None:
        return self.resolved_in_time / self.resolved if self.resolved else None


def _mean(spans: Sequence[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None


def day_figures(created: Sequence[Ticket], accepted: Sequence[Ticket], resolved: Sequence[Ticket],
                closed: Sequence[Ticket], open_count: int, overdue_count: int, breaches: int = 0,
                callbacks_open: int = 0) -> DayFigures:
    accept_spans = [t.accepted_at - t.created_at for t in accepted if t.accepted_at]
    resolve_spans = [t.resolved_at - t.created_at for t in resolved if t.resolved_at]
    ratings = [t.rating for t in closed if t.rating is not None]
    return DayFigures(
        created=len(created), closed=len(closed), open=open_count, overdue=overdue_count,
        avg_accept=_mean(accept_spans), avg_resolve=_mean(resolve_spans),
        avg_rating=sum(ratings) / len(ratings) if ratings else None, rated=len(ratings),
        breaches=breaches, callbacks_open=callbacks_open, resolved=len(resolved), resolved_in_time=sum(1 for t in resolved if not t.breaches))


def span_text(span: timedelta | None) -> str:
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}小时{minutes}分" if hours else f"{minutes}分钟"


def figures_text(day: str, f: DayFigures, title: str = "今日统计") -> str:
    rating = f"{f.avg_rating:.1f} 分（{f.rated} 条）" if f.avg_rating is not None else "—"
    within = "今日" if title == "今日统计" else "期间"
    return (f"📊 {title} {day}\n新建 {f.created} · 完成 {f.closed} · 未完成 {f.open} · 超时 {f.overdue}\n"
            f"平均接单用时 {span_text(f.avg_accept)}\n平均解决用时 {span_text(f.avg_resolve)}\n"
            f"平均评分 {rating}\n时效：{within}超时 {f.breaches} 次 · 按时解决率 {percent(f.sla_attainment)}"
            f"\n待回访 {f.callbacks_open}")


REPEAT_WINDOW = timedelta(days=30)
# which tickets service quality counts: closed in the period (30-day figures), or finished (resolved) in it
# whatever their state since (师傅排行 and the breakdowns)
Over = Literal["closed", "resolved"]
# a hold whose reason says it waited for parts: the fix was not done on the first visit
PARTS_WAIT_WORDS = ("配件", "零件", "备件", "等件", "缺件", "调货", "订货", "到货")
PARTS_WAIT = re.compile("|".join(PARTS_WAIT_WORDS))


def is_parts_wait(reason: str) -> bool:
    return bool(PARTS_WAIT.search(reason or ""))


@dataclass(frozen=True)
class Group:
    tickets: int
    first_time_fixed: int     # closed without a second visit or a wait for parts
    repeats: int              # reopened, or the same asset came back within 30 days
    parts_cents: int

    @property
    def first_time_fix_rate(self) -> float | None:
        return self.first_time_fixed / self.tickets if self.tickets else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeats / self.tickets if self.tickets else None

    @property
    def parts_per_ticket(self) -> float:
        """Yuan, to the fen."""
        return round(self.parts_cents / self.tickets / 100, 2) if self.tickets else 0.0


@dataclass(frozen=True)
class Quality:
    total: Group
    by_product: dict[str, Group]
    by_region: dict[str, Group]

    @property
    def closed(self) -> int:
        return self.total.tickets

    @property
    def first_time_fix_rate(self) -> float | None:
        return self.total.first_time_fix_rate

    @property
    def repeat_rate(self) -> float | None:
        return self.total.repeat_rate

    @property
    def parts_cents(self) -> int:
        return self.total.parts_cents


def _is_repeat(ticket: Ticket, history: Sequence[Ticket]) -> bool:
    return ticket.reopen_count > 0 or any(
        other.number != ticket.number and other.closed_at is not None
        and timedelta(0) <= ticket.created_at - other.closed_at <= REPEAT_WINDOW for other in history)


def repeat_pairs(tickets: Sequence[Ticket]) -> list[tuple[Ticket, Ticket]]:
    """(earlier, later) jobs on the same asset where the later one was opened within 30 days of the
    earlier one's closing: the repair did not last."""
    pairs = []
    for later in tickets:
        earlier = [t for t in tickets if t.asset_id is not None and t.asset_id == later.asset_id
                   and t.number != later.number and t.closed_at is not None
                   and timedelta(0) <= later.created_at - t.closed_at <= REPEAT_WINDOW]
        if earlier:
            pairs.append((max(earlier, key=lambda t: t.closed_at or t.created_at), later))
    return sorted(pairs, key=lambda p: p[1].created_at)


def _group(tickets: Sequence[Ticket], waited: set[str], history: dict[int, list[Ticket]]) -> Group:
    first = sum(1 for t in tickets if t.reopen_count == 0 and t.number not in waited)
    repeats = sum(1 for t in tickets if _is_repeat(t, history.get(t.asset_id or -1, [])))
    return Group(len(tickets), first, repeats, sum(t.parts_cents for t in tickets))


def _grouped(tickets: Sequence[Ticket], key: dict[str, str], waited: set[str],
             history: dict[int, list[Ticket]]) -> dict[str, Group]:
    groups: dict[str, list[Ticket]] = {}
    for t in tickets:
        groups.setdefault(key.get(t.number) or "未知", []).append(t)
    return {k: _group(v, waited, history) for k, v in sorted(groups.items())}


def quality(closed: Sequence[Ticket], regions: dict[str, str], history: dict[int, list[Ticket]],
            waited_for_parts: set[str] | None = None) -> Quality:
    """Over tickets closed in a period; `regions` by ticket number, `history` of each asset's tickets,
    `waited_for_parts` the numbers of tickets that were on hold for parts."""
    waited = waited_for_parts or set()
    products = {t.number: t.product_sku or "" for t in closed}
    return Quality(_group(closed, waited, history), _grouped(closed, products, waited, history),
                   _grouped(closed, regions, waited, history))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _line(name: str, g: Group) -> str:
    return (f"  {name}：{g.tickets}单 · 一次修复 {percent(g.first_time_fix_rate)} · 返修 {percent(g.repeat_rate)}"
            f" · 单均配件 ¥{g.parts_per_ticket:.2f}")


def quality_text(days: int, q: Quality, names: dict[str, str] | None = None) -> str:
    lines = [f"近{days}天：完成 {q.closed} · 一次修复率 {percent(q.first_time_fix_rate)} · "
             f"返修率 {percent(q.repeat_rate)} · 单均配件 ¥{q.total.parts_per_ticket:.2f}"]
    if q.by_product:
        lines.append("按产品：")
        lines += [_line((names or {}).get(k, k), g) for k, g in q.by_product.items()]
    if q.by_region:
        lines.append("按区域：")
        lines += [_line(k, g) for k, g in q.by_region.items()]
    return "\n".join(lines)


@dataclass(frozen=True)
class TechnicianRow:
    """One technician's record over a period, as 师傅排行 shows it."""

    tech_id: str
    jobs: int                 # jobs finished (resolved) in the period
    first_time_fixed: int     # of them, not reopened and not held for parts
    on_time: int              # of them, no deadline missed
    rating_sum: int = 0
    rated: int = 0

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def score(self) -> float:
        """Stars count most, then fixing it the first time, then keeping the promised times."""
        stars = (self.rating or 4.0) / 5
        return round(100 * (0.4 * stars + 0.3 * self.first_time_fixed / self.jobs + 0.3 * self.on_time / self.jobs), 1)


def ranking(finished: Sequence[Ticket], waited_for_parts: set[str]) -> list[TechnicianRow]:
    """Technicians ranked by score over the tickets they finished in a period; more jobs break ties."""
    by_tech: dict[str, list[Ticket]] = {}
    for t in finished:
        if t.assignee_id:
            by_tech.setdefault(t.assignee_id, []).append(t)
    return ranked([TechnicianRow(tech, len(ts), sum(1 for t in ts if t.reopen_count == 0 and t.number not in waited_for_parts),
                                 sum(1 for t in ts if not t.breaches), sum(t.rating or 0 for t in ts),
                                 sum(1 for t in ts if t.rating is not None))
                   for tech, ts in by_tech.items()])


def ranked(rows: Sequence[TechnicianRow]) -> list[TechnicianRow]:
    """Best score first; more jobs, then the id, break ties."""
    return sorted(rows, key=lambda r: (-r.score, -r.jobs, r.tech_id))


RANKED = 10   # technicians shown in 师傅排行


def ranking_text(title: str, rows: Sequence[TechnicianRow], names: dict[str, str]) -> str:
    if not rows:
        return f"🏆 师傅排行 {title}\n这段时间还没有完工的工单。"
    lines = [f"🏆 师傅排行 {title}（综合分 = 评分40% + 一次修复30% + 准时30%）"]
    for i, r in enumerate(rows[:RANKED], 1):
        rating = f"{r.rating:.1f}星" if r.rating is not None else "暂无评分"
        lines.append(f"{i}. {names.get(r.tech_id, r.tech_id)} {r.score}分 · 完工 {r.jobs} · "
                     f"一次修复 {percent(r.first_time_fixed / r.jobs)} · 准时 {percent(r.on_time / r.jobs)} · {rating}")
    return "\n".join(lines)


@dataclass(frozen=True)
class ChartCounts:
    """What the database counts for a chart over a period (domain.charts names and ranks them): tickets
    created and closed per local day, the period's resolved tickets and those with no deadline missed,
    ratings of the tickets closed, tickets created per region and per product, closed per technician."""

    created_per_day: dict[date, int]
    closed_per_day: dict[date, int]       # closed and still closed
    resolved: int
    resolved_in_time: int
    rating_sum: int
    rated: int
    by_region: dict[str, int]             # region name; 未分区 for a site without one, 未知 for no site
    by_product: dict[str, int]            # sku; "" for none
    by_technician: dict[str, tuple[int, int, int]]   # id -> (closed, rating sum, rated)
