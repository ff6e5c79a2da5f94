"""Keeping the roster's dispatch figures fresh: each technician's open jobs and recent record."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.model import Technician
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.dispatch import Job
from domain.offers import dispatch
from domain.skills import around_the_clock, job_skill
from domain.texts import NO_VISIT
from domain.ticket import State

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


def redispatch_waiting(uow: UnitOfWork, rules: Rules, now: datetime, tech: Technician, limit: int = 50) -> int:
    """A technician came on duty: tickets left waiting for someone (nobody fitted, or a grab
    nobody took) whose skill they have are dispatched again, oldest first. The best candidate
    still wins, which may be someone else now free. Returns how many were offered."""
    offered = 0
    for waiting in uow.tickets.in_states([State.NEW], limit):
        ticket = uow.tickets.get_for_update(waiting.number)
        if ticket is None or ticket.state is not State.NEW or tech.id in ticket.declined:
            continue
        if ticket.type in NO_VISIT or job_skill(uow, ticket) not in tech.skills:
            continue  # the desk's own, or a job this technician cannot do (unknown skill: the desk's too)
        dispatch(uow, rules, now, ticket)
        offered += ticket.state is State.ASSIGNED
    return offered


def retry_unstaffed(uow: UnitOfWork, rules: Rules, now: datetime, limit: int = 50) -> int:
    """Each tick: a round-the-clock ticket nobody could take is dispatched again as soon as someone
    fits (a technician freed a slot, was switched on). Nothing is said while nobody does."""
    offered = 0
    for waiting in uow.tickets.in_states([State.NEW], limit):
        if waiting.type in NO_VISIT or not around_the_clock(waiting, rules):
            continue
        skill = job_skill(uow, waiting)
        site = uow.places.site(waiting.site_id) if waiting.site_id else None
        job = Job(skill, site.region if site else "", frozenset(waiting.declined))
        if not skill or not uow.people.candidates(job, rules.region_neighbours, rules.weights, now, 1):
            continue
        ticket = uow.tickets.get_for_update(waiting.number)
        if ticket is not None and ticket.state is State.NEW:
            dispatch(uow, rules, now, ticket)
            offered += ticket.state is State.ASSIGNED
    return offered
