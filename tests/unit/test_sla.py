"""SLA deadlines, pauses, warnings and the one-at-a-time timer sequence."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import AroundTheClock, BusinessCalendar
from domain.sla import (
    Deadlines,
    SlaPolicy,
    SlaTimer,
    TimerKey,
    deadlines,
    next_timer,
    parse_duration,
    shift_for_pause,
    sla_timers,
    warn_time,
)

SH = ZoneInfo("Asia/Shanghai")
BUSINESS = BusinessCalendar(SH)
ROUND = AroundTheClock()
POLICY = SlaPolicy(
    accept=timedelta(minutes=30), arrive=timedelta(hours=4), resolve=timedelta(hours=8)
)
ROUND_POLICY = SlaPolicy(
    accept=timedelta(minutes=30), arrive=timedelta(hours=4), resolve=timedelta(hours=8),
    calendar="24x7",
)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


FRIDAY_4PM = at(3, 13, 16)  # an ordinary week in March 2026


def test_business_deadlines_count_only_opening_hours() -> None:
    # Fri 16-18 is 2h; Monday supplies the rest (09-12, then from 13:30).
    assert deadlines(POLICY, BUSINESS, FRIDAY_4PM) == Deadlines(
        accept_by=at(3, 13, 16, 30), arrive_by=at(3, 16, 11), resolve_by=at(3, 16, 16, 30)
    )


def test_around_the_clock_deadlines_are_plain_sums() -> None:
    assert deadlines(ROUND_POLICY, ROUND, FRIDAY_4PM) == Deadlines(
        accept_by=at(3, 13, 16, 30), arrive_by=at(3, 13, 20), resolve_by=at(3, 14, 0)
    )


def test_a_policy_counted_on_the_wrong_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="'business'.*'24x7'"):
        deadlines(POLICY, ROUND, FRIDAY_4PM)


def test_a_pause_over_a_weekend_pushes_the_deadline_by_the_counted_time_only() -> None:
    # Paused Fri 17:00, resumed Mon 10:00: 65 wall-clock hours, 2 business hours.
    resolve_by = at(3, 16, 15, 30)
    shifted = shift_for_pause(resolve_by, BUSINESS, at(3, 13, 17), at(3, 16, 10))
    assert shifted == at(3, 16, 17, 30)


def test_a_pause_around_the_clock_pushes_the_deadline_by_its_full_length() -> None:
    shifted = shift_for_pause(at(3, 16, 15, 30), ROUND, at(3, 13, 17), at(3, 16, 10))
    assert shifted == at(3, 19, 8, 30)


def test_a_pause_entirely_outside_opening_hours_changes_nothing() -> None:
    assert shift_for_pause(at(3, 16, 11), BUSINESS, at(3, 14, 9), at(3, 15, 20)) == at(3, 16, 11)


def test_a_pause_that_starts_after_the_deadline_changes_nothing() -> None:
    deadline = at(3, 16, 11)
    assert shift_for_pause(deadline, BUSINESS, at(3, 16, 11), at(3, 17, 11)) == deadline


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before pausing"):
        shift_for_pause(at(3, 16, 11), BUSINESS, at(3, 16, 10), at(3, 16, 9))


def test_the_warning_comes_at_eight_tenths_of_the_counted_span() -> None:
    # Mon 09:00-18:00 is 7.5 business hours; 0.8 of it is 6h, reached at 16:30.
    assert warn_time(POLICY, BUSINESS, at(3, 16, 9), at(3, 16, 18)) == at(3, 16, 16, 30)
    # Fri 17:00 to Mon 10:00 is 2h counted; 0.8 is 96 minutes: Fri 60, Mon 36.
    assert warn_time(POLICY, BUSINESS, at(3, 13, 17), at(3, 16, 10)) == at(3, 16, 9, 36)


def test_the_warning_around_the_clock_is_eight_tenths_of_the_wall_time() -> None:
    assert warn_time(ROUND_POLICY, ROUND, at(3, 13, 17), at(3, 14, 3)) == at(3, 14, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 1d 2h ", timedelta(days=1, hours=2)),
        ("90M", timedelta(minutes=90)),
    ],
)
def test_parse_duration_reads_days_hours_and_minutes(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "", "h", "4x", "1.5h", "30m1h", "-4h", "4 hours"])
def test_parse_duration_rejects_bad_input_naming_it(text: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_duration(text)
    assert repr(text) in str(excinfo.value)


def test_a_policy_needs_positive_durations_and_a_warning_fraction_below_one() -> None:
    with pytest.raises(ValueError, match="accept must be positive"):
        SlaPolicy(accept=timedelta(0), arrive=timedelta(hours=1), resolve=timedelta(hours=2))
    with pytest.raises(ValueError, match="warn_at"):
        SlaPolicy(timedelta(hours=1), timedelta(hours=1), timedelta(hours=2), warn_at=1.0)


OPENED = at(3, 16, 9)
DUE = deadlines(POLICY, BUSINESS, OPENED)  # accept Mon 09:30, arrive 14:30, resolve Tue 09:30
ESCALATE = timedelta(hours=1)


def fire_all(escalate_after: timedelta | None = None) -> list[SlaTimer]:
    fired: list[TimerKey] = []
    sequence: list[SlaTimer] = []
    while (
        timer := next_timer(
            POLICY, BUSINESS, OPENED, DUE, fired=fired, escalate_after=escalate_after
        )
    ) is not None:
        sequence.append(timer)
        fired.append(timer.key)
        assert len(sequence) <= 9, "a timer fired twice"
    return sequence


def test_next_timer_walks_every_timer_earliest_first_and_each_fires_once() -> None:
    sequence = fire_all(escalate_after=ESCALATE)
    assert [timer.due for timer in sequence] == sorted(timer.due for timer in sequence)
    assert len({timer.key for timer in sequence}) == 9
    assert sequence[:4] == [
        SlaTimer("accept", "warn", at(3, 16, 9, 24)),
        SlaTimer("accept", "breach", at(3, 16, 9, 30)),
        SlaTimer("accept", "escalate", at(3, 16, 10, 30)),
        SlaTimer("arrive", "warn", at(3, 16, 13, 42)),
    ]


def test_next_timer_without_escalation_offers_only_warnings_and_breaches() -> None:
    assert {timer.stage for timer in fire_all()} == {"warn", "breach"}


def test_next_timer_returns_the_same_timer_until_it_is_recorded_as_fired() -> None:
    first = next_timer(POLICY, BUSINESS, OPENED, DUE)
    assert next_timer(POLICY, BUSINESS, OPENED, DUE) == first
    assert first is not None
    assert next_timer(POLICY, BUSINESS, OPENED, DUE, fired=[first.key]) != first


def test_next_timer_drops_the_timers_of_a_goal_already_met() -> None:
    timer = next_timer(POLICY, BUSINESS, OPENED, DUE, met=["accept"])
    assert timer == SlaTimer("arrive", "warn", at(3, 16, 13, 42))
    assert next_timer(POLICY, BUSINESS, OPENED, DUE, met=["accept", "arrive", "resolve"]) is None


def test_next_timer_never_warns_after_the_breach_has_fired() -> None:
    timer = next_timer(POLICY, BUSINESS, OPENED, DUE, fired=[("accept", "breach")])
    assert timer is not None and timer.kind != "accept"


def test_next_timer_follows_deadlines_shifted_by_a_pause() -> None:
    shifted = Deadlines(
        accept_by=DUE.accept_by,
        arrive_by=shift_for_pause(DUE.arrive_by, BUSINESS, at(3, 16, 10), at(3, 17, 10)),
        resolve_by=shift_for_pause(DUE.resolve_by, BUSINESS, at(3, 16, 10), at(3, 17, 10)),
    )
    timer = next_timer(POLICY, BUSINESS, OPENED, shifted, met=["accept"])
    assert timer is not None and timer.key == ("arrive", "warn")
    assert timer.due > at(3, 17)


def test_next_timer_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown SLA timer"):
        typo = [("accept", "breached")]
        next_timer(POLICY, BUSINESS, OPENED, DUE, fired=typo)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown SLA kind"):
        next_timer(POLICY, BUSINESS, OPENED, DUE, met=["accepted"])  # type: ignore[list-item]


def test_simultaneous_timers_are_ordered_by_kind_then_stage() -> None:
    same = Deadlines(at(3, 16, 12), at(3, 16, 12), at(3, 16, 12))
    timers = sla_timers(POLICY, BUSINESS, OPENED, same, escalate_after=timedelta(0))
    breaches = [t.key for t in timers if t.stage != "warn"]
    assert breaches == [
        ("accept", "breach"), ("accept", "escalate"),
        ("arrive", "breach"), ("arrive", "escalate"),
        ("resolve", "breach"), ("resolve", "escalate"),
    ]


def test_after_a_long_pause_the_warning_comes_at_eight_tenths_of_the_working_time() -> None:
    # 10h to resolve around the clock; paused after 1h for 100h. The deadline moves
    # by the pause, and the warning comes after 8 WORKING hours: 7h after resuming.
    policy = SlaPolicy(accept=timedelta(minutes=30), arrive=timedelta(hours=4),
                       resolve=timedelta(hours=10), calendar="24x7")
    opened = at(3, 2, 8)
    paused, resumed = opened + timedelta(hours=1), opened + timedelta(hours=101)
    due = deadlines(policy, ROUND, opened)
    shifted = Deadlines(due.accept_by, due.arrive_by, shift_for_pause(due.resolve_by, ROUND, paused, resumed))
    timer = next_timer(policy, ROUND, opened, shifted, met=["accept", "arrive"])
    assert timer is not None and timer.key == ("resolve", "warn")
    assert timer.due == resumed + timedelta(hours=7)


def test_after_a_pause_the_business_warning_leaves_a_fifth_of_the_target() -> None:
    # 8 opening hours to resolve; a pause of one working day in the middle.
    due = deadlines(POLICY, BUSINESS, at(3, 16, 9))
    shifted = shift_for_pause(due.resolve_by, BUSINESS, at(3, 16, 10), at(3, 17, 10))
    warned = warn_time(POLICY, BUSINESS, at(3, 16, 9), shifted, POLICY.resolve)
    assert BUSINESS.elapsed(warned, shifted) == POLICY.resolve * 0.2
