"""SLA policies, their deadlines, and the timers that warn, breach and escalate on them.

Every duration is counted on the policy's calendar: on "business" an 8h resolve
target means eight opening hours, not eight wall-clock hours.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from domain.calendar import Calendar

Kind = Literal["accept", "arrive", "resolve"]
Stage = Literal["warn", "breach", "escalate"]
TimerKey = tuple[Kind, Stage]

KINDS: tuple[Kind, ...] = ("accept", "arrive", "resolve")
STAGES: tuple[Stage, ...] = ("warn", "breach", "escalate")

_DURATION_RE = re.compile(
    r"(?:(?P<days>\d+)\s*d)?\s*(?:(?P<hours>\d+)\s*h)?\s*(?:(?P<minutes>\d+)\s*m)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SlaPolicy:
    accept: timedelta  # offer accepted within
    arrive: timedelta  # on site within (from opening)
    resolve: timedelta  # resolved within (from opening)
    calendar: str = "business"  # name of the Calendar the durations are counted on
    warn_at: float = 0.8  # fraction of each deadline at which the assignee is warned

    def __post_init__(self) -> None:
        for kind in KINDS:
            if getattr(self, kind) <= timedelta(0):
                raise ValueError(f"SLA {kind} must be positive, got {getattr(self, kind)}")
        if not 0 < self.warn_at < 1:
            raise ValueError(f"SLA warn_at must be between 0 and 1, got {self.warn_at}")


@dataclass(frozen=True)
class Deadlines:
    accept_by: datetime
    arrive_by: datetime
    resolve_by: datetime

    def by(self, kind: Kind) -> datetime:
        by_kind = {"accept": self.accept_by, "arrive": self.arrive_by, "resolve": self.resolve_by}
        return by_kind[kind]


@dataclass(frozen=True)
class SlaTimer:
    kind: Kind
    stage: Stage
    due: datetime

    def __post_init__(self) -> None:
        if self.kind not in KINDS or self.stage not in STAGES:
            raise ValueError(f"unknown SLA timer {self.kind!r}/{self.stage!r}")

    @property
    def key(self) -> TimerKey:
        return (self.kind, self.stage)


def parse_duration(text: str) -> timedelta:
    """Parse "30m", "4h", "2d", "1h30m" (units in d, h, m order; a unit is required).

    "d" is 24 hours of counted time; on a business calendar that is 24 opening
    hours (about three working days), so business targets read best in hours.
    """
    match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(
            f"duration {text!r}: expected a number with a unit, e.g. '30m', '4h', '2d', '1h30m'"
        )
    days, hours, minutes = (int(group or 0) for group in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def _check_calendar(policy: SlaPolicy, calendar: Calendar) -> None:
    # Counting a business policy around the clock (or vice versa) silently moves
    # every deadline, so a mismatch is a wiring bug worth failing loudly on.
    if calendar.name != policy.calendar:
        raise ValueError(
            f"SLA policy counts on calendar {policy.calendar!r}, got {calendar.name!r}"
        )


def deadlines(policy: SlaPolicy, calendar: Calendar, opened_at: datetime) -> Deadlines:
    """All three deadlines, each counted from the ticket's opening."""
    _check_calendar(policy, calendar)
    return Deadlines(
        accept_by=calendar.add(opened_at, policy.accept),
        arrive_by=calendar.add(opened_at, policy.arrive),
        resolve_by=calendar.add(opened_at, policy.resolve),
    )


def warn_time(
    policy: SlaPolicy, calendar: Calendar, start: datetime, deadline: datetime,
    work: timedelta | None = None,
) -> datetime:
    """The instant `warn_at` of the WORKING time towards `deadline` has run.

    `work` is the counted time the deadline allows (the policy's target); pauses
    pushed the deadline out by the time they took, so the warning comes when
    `(1 - warn_at) * work` of counted time is left before the deadline, not at
    `warn_at` of a span that includes the pauses. Without `work` the whole span
    from `start` counts (no pauses). Counted time is additive on every calendar,
    so "left before the deadline" is `elapsed(start, deadline) - left` after start.
    """
    _check_calendar(policy, calendar)
    span = calendar.elapsed(start, deadline)
    left = (work if work is not None else span) * (1 - policy.warn_at)
    return calendar.add(start, max(span - left, timedelta(0)))


def with_pauses(due: Deadlines, calendar: Calendar, pauses: Collection[tuple[datetime, datetime]],
                accept_from: datetime | None = None) -> Deadlines:
    """Deadlines pushed out by every closed pause, in order (each counted on `calendar`).

    A pause over before the acceptance clock (re)started does not move acceptance.
    """
    accept, arrive, resolve = due.accept_by, due.arrive_by, due.resolve_by
    for paused_at, resumed_at in sorted(pauses):
        if accept_from is None or paused_at >= accept_from:
            accept = shift_for_pause(accept, calendar, paused_at, resumed_at)
        arrive = shift_for_pause(arrive, calendar, paused_at, resumed_at)
        resolve = shift_for_pause(resolve, calendar, paused_at, resumed_at)
    return Deadlines(accept, arrive, resolve)


def shift_for_pause(
    deadline: datetime, calendar: Calendar, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """Push `deadline` out by the counted time the ticket spent paused.

    A pause that began at or after the deadline changes nothing: the breach had
    already happened and waiting for the customer cannot undo it.
    """
    if resumed_at < paused_at:
        raise ValueError(f"resumed at {resumed_at} before pausing at {paused_at}")
    if paused_at >= deadline:
        return deadline
    return calendar.add(deadline, calendar.elapsed(paused_at, resumed_at))


def sla_timers(
    policy: SlaPolicy,
    calendar: Calendar,
    opened_at: datetime,
    due: Deadlines,
    escalate_after: timedelta | None = None,
) -> list[SlaTimer]:
    """Every timer of a ticket, earliest first (ties: accept..resolve, warn..escalate).

    warn: when `warn_at` of the kind's working time has run (pauses excluded).
    breach: at the deadline.
    escalate: `escalate_after` of counted time past the deadline (omitted if None).
    """
    timers: list[SlaTimer] = []
    for kind in KINDS:
        breach = due.by(kind)
        work = getattr(policy, kind)
        timers.append(SlaTimer(kind, "warn", warn_time(policy, calendar, opened_at, breach, work)))
        timers.append(SlaTimer(kind, "breach", breach))
        if escalate_after is not None:
            timers.append(SlaTimer(kind, "escalate", calendar.add(breach, escalate_after)))
    return sorted(timers, key=_timer_order)


def next_timer(
    policy: SlaPolicy,
    calendar: Calendar,
    opened_at: datetime,
    due: Deadlines,
    *,
    fired: Collection[TimerKey] = (),
    met: Collection[Kind] = (),
    escalate_after: timedelta | None = None,
) -> SlaTimer | None:
    """The earliest timer still to fire, or None when nothing is left.

    Lets the caller keep ONE indexed `next_due_at` per ticket: store `.due`, and
    when it comes, fire the timer, add its `.key` to `fired`, and ask again.
    - `fired`: (kind, stage) keys already fired; each timer fires once.
    - `met`: kinds whose goal is reached (accepted, arrived, resolved); their
      timers are dropped.
    - an earlier stage is dropped once a later stage of its kind has fired, so a
      late warning never follows a breach.
    After a pause, pass the shifted deadlines; the already-fired keys still hold.
    While paused the clock is stopped, so the caller stores no due time at all.
    """
    fired_keys = _checked_keys(fired)
    met_kinds = _checked_kinds(met)
    for timer in sla_timers(policy, calendar, opened_at, due, escalate_after):
        if timer.kind in met_kinds or timer.key in fired_keys:
            continue
        if _superseded(timer, fired_keys):
            continue
        return timer
    return None


def _timer_order(timer: SlaTimer) -> tuple[datetime, int, int]:
    return timer.due, KINDS.index(timer.kind), STAGES.index(timer.stage)


def _superseded(timer: SlaTimer, fired: frozenset[TimerKey]) -> bool:
    later = STAGES[STAGES.index(timer.stage) + 1 :]
    return any((timer.kind, stage) in fired for stage in later)


def _checked_keys(keys: Collection[TimerKey]) -> frozenset[TimerKey]:
    for kind, stage in keys:
        if kind not in KINDS or stage not in STAGES:
            raise ValueError(f"unknown SLA timer {kind!r}/{stage!r}")
    return frozenset(keys)


def _checked_kinds(kinds: Collection[Kind]) -> frozenset[Kind]:
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"unknown SLA kind {kind!r}")
    return frozenset(kinds)
