"""GET /api/v1/stats: the day's figures and service quality, for dashboards and other systems."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bot.api import Client, DeskDep
from bot.api_body import Bounded
from domain.reports import quality_over, today_figures
from domain.stats import Group

router = APIRouter(prefix="/api/v1", tags=["stats"], route_class=Bounded)


def _seconds(span: Any) -> float | None:
    return span.total_seconds() if span is not None else None


def _group(g: Group) -> dict[str, Any]:
    return {"tickets": g.tickets, "first_time_fix_rate": g.first_time_fix_rate, "repeat_repair_rate": g.repeat_rate,
            "parts_cost_per_ticket": g.parts_per_ticket}


def _groups(groups: dict[str, Group]) -> dict[str, dict[str, Any]]:
    return {k: _group(g) for k, g in groups.items()}


@router.get("/stats")
def stats(desk: DeskDep, client: Client, days: Annotated[int, Query(ge=1, le=365)] = 30) -> dict[str, Any]:
    now = desk.clock()
    with desk.uow(readonly=True) as uow:
        day, f = today_figures(uow, desk.rules, now)
        q = quality_over(uow, desk.rules, now, days)
    return {
        "today": {"date": day, "created": f.created, "closed": f.closed, "open": f.open, "overdue": f.overdue,
                  "avg_accept_seconds": _seconds(f.avg_accept), "avg_resolve_seconds": _seconds(f.avg_resolve),
                  "avg_rating": f.avg_rating, "sla_breaches": f.breaches,
                  "sla_attainment": f.sla_attainment, "callbacks_open": f.callbacks_open},
        "quality": {"days": days, "closed": q.closed, "first_time_fix_rate": q.first_time_fix_rate,
                    "repeat_repair_rate": q.repeat_rate,
                    "parts_cost_per_ticket": q.total.parts_per_ticket,
                    "by_product": _groups(q.by_product), "by_region": _groups(q.by_region)},
    }
