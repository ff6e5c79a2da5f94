"""When maintenance plans fire: cron expressions evaluated with APScheduler's trigger."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo

from domain.plans import open_planned
from domain.rules import Plan
from scheduler.cron import crontab_trigger
from scheduler.ports import Host

# A worker that was down catches up on firings this far back, and no further.
CATCH_UP = timedelta(days=1)


def firings(plan: Plan, tz: tzinfo, now: datetime) -> Iterator[datetime]:
    """Every firing in (now - CATCH_UP, now], oldest first."""
    trigger = crontab_trigger(plan.cron, tz)
    at = trigger.get_next_fire_time(None, now - CATCH_UP)
    while at is not None and at <= now:
        yield at
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))


def run_plans(desk: Host, now: datetime) -> int:
    opened = 0
    for plan in desk.rules.plans:
        for fire_at in firings(plan, desk.rules.tz, now):
            with desk.uow() as uow:
                if open_planned(uow, desk.rules, now, plan, fire_at) is not None:
                    opened += 1
                uow.commit()
    return opened
