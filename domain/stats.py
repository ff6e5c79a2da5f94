"""The day's figures, as managers ask for them (今日统计)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

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


def _mean(spans: Sequence[timedelta]) -> timedelta | None:
    return sum(spans, timedelta()) / len(spans) if spans else None


def day_figures(created: Sequence[Ticket], accepted: Sequence[Ticket], resolved: Sequence[Ticket],
                closed: Sequence[Ticket], open_count: int, overdue_count: int) -> DayFigures:
    accept_spans = [t.accepted_at - t.created_at for t in accepted if t.accepted_at]
    resolve_spans = [t.resolved_at - t.created_at for t in resolved if t.resolved_at]
    ratings = [t.rating for t in closed if t.rating is not None]
    return DayFigures(
        created=len(created), closed=len(closed), open=open_count, overdue=overdue_count,
        avg_accept=_mean(accept_spans), avg_resolve=_mean(resolve_spans),
        avg_rating=sum(ratings) / len(ratings) if ratings else None, rated=len(ratings))


def span_text(span: timedelta | None) -> str:
    if span is None:
        return "—"
    minutes = int(span.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}小时{minutes}分" if hours else f"{minutes}分钟"


def figures_text(day: str, f: DayFigures) -> str:
    rating = f"{f.avg_rating:.1f} 分（{f.rated} 条）" if f.avg_rating is not None else "—"
    return (f"📊 今日统计 {day}\n新建 {f.created} · 完成 {f.closed} · 未完成 {f.open} · 超时 {f.overdue}\n"
            f"平均接单用时 {span_text(f.avg_accept)}\n平均解决用时 {span_text(f.avg_resolve)}\n"
            f"平均评分 {rating}")
