"""Thin jobs: a fire time becomes a use case call. Tests and `baoxiu sla tick` call them directly."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from bot.bootstrap import Desk
from bot.channels.base import Sender
from domain import reports, roster, sla_watch, survey
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.services import expire_offers
from scheduler.delivery import deliver_due
from scheduler.incidents import gather
from scheduler.media import fetch_pending
from scheduler.plans import run_plans

UseCase = Callable[[UnitOfWork, Rules, datetime], int]


def run(desk: Desk, use_case: UseCase, now: datetime) -> int:
    """One use case in one transaction."""
    with desk.uow() as uow:
        count = use_case(uow, desk.rules, now)
        uow.commit()
    return count


def _incidents(desk: Desk, now: datetime) -> int:
    with desk.uow() as uow:
        count = gather(uow, desk.rules.incidents, now)
        uow.commit()
    return count


def tick(desk: Desk, senders: Mapping[str, Sender], now: datetime, fallback: str | None = None) -> dict[str, int]:
    """Every due job once, ordered so that the notices a job makes go out in the same tick."""
    from bot.platforms import media_fetchers, platform_ticks

    return {
        "roster_refreshed": run(desk, roster.refresh_roster, now),
        "platform_jobs": platform_ticks(desk),
        "offers_expired": run(desk, expire_offers, now),
        "unstaffed_redispatched": run(desk, roster.retry_unstaffed, now),
        "sla_timers_fired": run(desk, sla_watch.watch, now),
        "survey_steps": run(desk, survey.run_due, now),
        "plans_opened": run_plans(desk, now),
        "incident_links": _incidents(desk, now),
        "daily_reports": run(desk, reports.send_daily_report, now),
        "notices_sent": deliver_due(desk, senders, now, fallback),
        "media_fetched": fetch_pending(desk, media_fetchers(desk), now),
    }
