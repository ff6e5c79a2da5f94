"""Thin jobs: a fire time becomes a use case call. Tests and `baoxiu sla tick` call them directly."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from domain import reports, roster, sla_watch, survey
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.offers import expire_offers
from scheduler.delivery import deliver_due
from scheduler.incidents import gather
from scheduler.media import fetch_pending
from scheduler.plans import run_plans
from scheduler.ports import Host, Outlets

log = logging.getLogger("baoxiu.platforms")
UseCase = Callable[[UnitOfWork, Rules, datetime], int]
Batch = Callable[[UnitOfWork, Rules, datetime, int], tuple[int, int]]   # (taken, done) of at most n

# Timers and follow-ups are worked in short transactions: a writer holds SQLite's one write lock
# for a few tickets' worth of milliseconds, so callbacks and a second worker never wait seconds.
BATCH = 25
PER_TICK = 200


def run(desk: Host, use_case: UseCase, now: datetime) -> int:
    """One use case in one transaction."""
    with desk.uow() as uow:
        count = use_case(uow, desk.rules, now)
        uow.commit()
    return count


def in_batches(desk: Host, step: Batch, now: datetime, batch: int = BATCH, most: int = PER_TICK) -> int:
    """`step` over what is due, `batch` at a time, one transaction each, until it runs dry or `most`."""
    done = 0
    for _ in range(max(most // batch, 1)):
        with desk.uow() as uow:
            taken, count = step(uow, desk.rules, now, batch)
            uow.commit()
        done += count
        if taken < batch:
            break
    return done


def _incidents(desk: Host, now: datetime) -> int:
    with desk.uow() as uow:
        count = gather(uow, desk.rules, now)
        uow.commit()
    return count


def tick(desk: Host, outlets: Outlets, now: datetime, fallback: str | None = None) -> dict[str, int]:
    """Every due job once, ordered so that the notices a job makes go out in the same tick."""
    return {
        "roster_refreshed": run(desk, roster.refresh_roster, now),
        "platform_jobs": platform_ticks(outlets.ticks),
        "offers_expired": run(desk, expire_offers, now),
        "unstaffed_redispatched": run(desk, roster.retry_unstaffed, now),
        "sla_timers_fired": in_batches(desk, sla_watch.watch, now),
        "survey_steps": in_batches(desk, survey.run_due, now),
        "plans_opened": run_plans(desk, now),
        "incident_links": _incidents(desk, now),
        "daily_reports": run(desk, reports.send_daily_report, now),
        "notices_sent": deliver_due(desk, outlets.senders, now, fallback),
        "media_fetched": fetch_pending(desk, outlets.fetchers, now),
    }


def deliver_now(desk: Host, outlets: Outlets, fetch_media: bool = False) -> None:
    """What a channel runs right after answering a callback: due notices out (and photos in) at once,
    instead of at the next tick."""
    now = desk.clock()
    deliver_due(desk, outlets.senders, now)
    if fetch_media:
        fetch_pending(desk, outlets.fetchers, now)


def platform_ticks(ticks: Mapping[str, Callable[[], int]]) -> int:
    """Each platform's own due work; one failing platform does not stop the others or the tick."""
    done = 0
    for name, on_tick in ticks.items():
        try:
            done += on_tick()
        except Exception as e:
            log.error("%s tick failed: %s", name, type(e).__name__)
    return done
