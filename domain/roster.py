"""Keeping the roster's dispatch figures fresh: each technician's open jobs and recent record."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.ports import UnitOfWork
from domain.rules import Rules

RECORD_WINDOW = timedelta(days=90)   # a technician's record counts the last three months
EVERY = timedelta(hours=1)           # a 90-day record barely moves within an hour
JOB = "roster-refresh"               # its runs are recorded beside the maintenance plans' runs


def refresh_roster(uow: UnitOfWork, rules: Rules, now: datetime) -> int:
    """Once an hour: recompute records and recount loads. The cheap check comes first."""
    slot = datetime.fromtimestamp(now.timestamp() // EVERY.total_seconds() * EVERY.total_seconds(), now.tzinfo)
    last = uow.tickets.last_plan_run(JOB)
    if last is not None and last >= slot or not uow.tickets.claim_plan_run(JOB, slot):
        return 0
    uow.people.refresh_roster(uow.tickets.records(now - RECORD_WINDOW))
    return 1
