"""Business and around-the-clock calendars, on China's real 2026 statutory calendar.

2026 facts, as published in chinesecalendar's data:
- National Day: Oct 1-7 off; Sun Sep 20 and Sat Oct 10 are make-up workdays.
- Spring Festival: Feb 15-23 off; Sat Feb 14 and Sat Feb 28 are make-up workdays.
"""
from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.bootstrap import build_rules
from bot.settings import load_settings
from domain.calendar import (
    STATUTORY_YEARS,
    AroundTheClock,
    BusinessCalendar,
    Calendar,
    ChinaWorkdays,
    parse_hours,
)
from tests.conftest import EXAMPLE

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def business() -> BusinessCalendar:
    return BusinessCalendar(SH)


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def test_the_package_data_matches_the_2026_facts_these_tests_rely_on() -> None:
    workdays = ChinaWorkdays()
    assert [workdays(date(2026, 10, d)) for d in range(1, 11)] == [
        False, False, False, False, False, False, False, True, True, True,
    ]
    assert workdays(date(2026, 9, 20))  # a Sunday
    assert [workdays(date(2026, 2, d)) for d in (14, 15, 23, 24, 28)] == [
        True, False, False, True, True,
    ]


def test_the_known_statutory_range_starts_in_2004_and_covers_2026() -> None:
    assert STATUTORY_YEARS.start == 2004
    assert 2026 in STATUTORY_YEARS


def test_four_business_hours_set_on_national_day_eve_land_on_the_first_workday_after() -> None:
    # Wed Sep 30 18:30 is after hours; Oct 1-7 are off; Thu Oct 8 09-12 + 13:30-14:30.
    cal = BusinessCalendar(SH)
    assert cal.add(at(2026, 9, 30, 18, 30), timedelta(hours=4)) == at(2026, 10, 8, 14, 30)


def test_a_make_up_saturday_counts_as_a_workday(business: BusinessCalendar) -> None:
    # Fri Oct 9 17:00 + 2h: one hour Friday, one hour on make-up Saturday Oct 10.
    assert business.add(at(2026, 10, 9, 17), timedelta(hours=2)) == at(2026, 10, 10, 10)
    assert business.elapsed(at(2026, 10, 10), at(2026, 10, 11)) == timedelta(hours=7, minutes=30)


def test_a_make_up_sunday_counts_as_a_workday(business: BusinessCalendar) -> None:
    assert business.elapsed(at(2026, 9, 20), at(2026, 9, 21)) == timedelta(hours=7, minutes=30)


def test_spring_festival_is_skipped_between_its_make_up_saturdays(
    business: BusinessCalendar,
) -> None:
    # Sat Feb 14 is a workday; Feb 15-23 are off; Tue Feb 24 is the next workday.
    assert business.add(at(2026, 2, 14, 17, 30), timedelta(hours=1)) == at(2026, 2, 24, 9, 30)


def test_two_hours_set_friday_at_five_land_monday_at_ten(business: BusinessCalendar) -> None:
    assert business.add(at(2026, 3, 13, 17), timedelta(hours=2)) == at(2026, 3, 16, 10)


def test_work_ending_exactly_at_closing_time_lands_on_it_not_the_next_morning(
    business: BusinessCalendar,
) -> None:
    assert business.add(at(2026, 3, 16, 9), timedelta(hours=7, minutes=30)) == at(2026, 3, 16, 18)
    assert business.add(at(2026, 3, 16, 9), timedelta(hours=3)) == at(2026, 3, 16, 12)


def test_work_started_outside_hours_starts_counting_at_the_next_open_period(
    business: BusinessCalendar,
) -> None:
    assert business.add(at(2026, 3, 16, 7), timedelta(minutes=30)) == at(2026, 3, 16, 9, 30)
    assert business.add(at(2026, 3, 16, 12, 15), timedelta(hours=1)) == at(2026, 3, 16, 14, 30)
    assert business.add(at(2026, 3, 14, 10), timedelta(hours=1)) == at(2026, 3, 16, 10)


def test_adding_no_work_returns_the_start_unchanged(business: BusinessCalendar) -> None:
    assert business.add(at(2026, 3, 14, 23), timedelta(0)) == at(2026, 3, 14, 23)


def test_adding_negative_work_is_refused(business: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        business.add(at(2026, 3, 16, 9), timedelta(minutes=-1))


def test_elapsed_over_a_weekend_counts_only_open_hours(business: BusinessCalendar) -> None:
    # Fri 17:00-18:00 and Mon 09:00-10:00.
    assert business.elapsed(at(2026, 3, 13, 17), at(2026, 3, 16, 10)) == timedelta(hours=2)


def test_elapsed_skips_the_lunch_break_and_is_zero_backwards(business: BusinessCalendar) -> None:
    lunch_included = business.elapsed(at(2026, 3, 16, 11), at(2026, 3, 16, 14))
    assert lunch_included == timedelta(hours=1, minutes=30)
    assert business.elapsed(at(2026, 3, 16, 14), at(2026, 3, 16, 11)) == timedelta(0)


def test_elapsed_undoes_add(business: BusinessCalendar) -> None:
    start = at(2026, 9, 28, 16, 45)
    work = timedelta(hours=13, minutes=17)
    assert business.elapsed(start, business.add(start, work)) == work


def test_the_year_after_the_last_known_one_falls_back_to_weekdays_and_says_so_once() -> None:
    year = STATUTORY_YEARS.stop
    reported: list[date] = []
    cal = BusinessCalendar(SH, on_fallback=reported.append)
    friday = next(date(year, 3, d) for d in range(1, 8) if date(year, 3, d).weekday() == 4)
    start = datetime.combine(friday, time(17), tzinfo=SH)
    monday = friday + timedelta(days=3)

    assert cal.add(start, timedelta(hours=2)) == datetime.combine(monday, time(10), tzinfo=SH)
    assert cal.elapsed(start, start + timedelta(days=30)) > timedelta(0)
    assert [d.year for d in reported] == [year]


def test_a_year_before_the_known_range_also_falls_back() -> None:
    reported: list[date] = []
    workdays = ChinaWorkdays(on_fallback=reported.append)
    assert workdays(date(2003, 10, 1))  # a Wednesday; no holiday data for 2003
    assert not workdays(date(2003, 10, 4))
    assert reported == [date(2003, 10, 1)]


def test_known_years_never_report_a_fallback() -> None:
    reported: list[date] = []
    cal = BusinessCalendar(SH, on_fallback=reported.append)
    cal.elapsed(at(2026, 1, 1), at(2026, 12, 31))
    assert reported == []


def test_on_fallback_with_a_custom_workday_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="on_fallback"):
        BusinessCalendar(SH, is_workday=weekdays_only, on_fallback=print)


def test_two_thousand_business_hours_step_by_day_not_by_minute() -> None:
    calls: list[date] = []

    def counting(day: date) -> bool:
        calls.append(day)
        return weekdays_only(day)

    cal = BusinessCalendar(SH, is_workday=counting)
    # 266 full 7.5h days (Mon 2024-01-01 .. Mon 2025-01-06) make 1995h; 5h more Tuesday.
    assert cal.add(at(2024, 1, 1, 9), timedelta(hours=2000)) == at(2025, 1, 7, 15, 30)
    assert len(calls) < 400


def test_several_configured_periods_per_day_are_all_counted() -> None:
    cal = BusinessCalendar(
        SH, hours=parse_hours(["08:00-10:00", "19:00-21:00", "12:00-13:00"]),
        is_workday=weekdays_only,
    )
    assert cal.elapsed(at(2026, 3, 16), at(2026, 3, 17)) == timedelta(hours=5)
    # 09-10, 12-13, then 19-20: the periods were given out of order.
    assert cal.add(at(2026, 3, 16, 9), timedelta(hours=3)) == at(2026, 3, 16, 20)


def test_a_calendar_without_any_workday_fails_instead_of_looping() -> None:
    cal = BusinessCalendar(SH, is_workday=lambda day: False)
    with pytest.raises(ValueError, match="no open hours"):
        cal.add(at(2026, 3, 16, 9), timedelta(hours=1))


def test_around_the_clock_is_plain_arithmetic() -> None:
    cal = AroundTheClock()
    assert cal.name == "24x7"
    assert cal.add(at(2026, 9, 30, 18, 30), timedelta(hours=4)) == at(2026, 9, 30, 22, 30)
    assert cal.elapsed(at(2026, 3, 13, 17), at(2026, 3, 16, 10)) == timedelta(hours=65)
    assert cal.elapsed(at(2026, 3, 16, 10), at(2026, 3, 13, 17)) == timedelta(0)


def test_around_the_clock_counts_real_time_across_a_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # clocks go forward on 2026-03-29
    start = datetime(2026, 3, 28, 12, tzinfo=berlin)
    assert AroundTheClock().add(start, timedelta(hours=24)) == datetime(
        2026, 3, 29, 13, tzinfo=berlin
    )


def test_both_calendars_satisfy_the_protocol(business: BusinessCalendar) -> None:
    assert isinstance(business, Calendar)
    assert isinstance(AroundTheClock(), Calendar)


@pytest.mark.parametrize("cal", [BusinessCalendar(SH), AroundTheClock()], ids=["business", "24x7"])
def test_results_keep_the_timezone_of_the_input(cal: Calendar) -> None:
    utc_start = at(2026, 9, 30, 18, 30).astimezone(UTC)
    result = cal.add(utc_start, timedelta(hours=4))
    assert result.tzinfo is UTC

    new_york = timezone(timedelta(hours=-4))
    local = cal.add(at(2026, 9, 30, 18, 30).astimezone(new_york), timedelta(hours=4))
    assert local.tzinfo is new_york
    assert local == result


def test_business_hours_are_read_in_the_calendars_zone_whatever_the_inputs_zone(
    business: BusinessCalendar,
) -> None:
    # 10:30 UTC on Sep 30 is 18:30 in Shanghai: after hours, so counting waits for Oct 8.
    result = business.add(datetime(2026, 9, 30, 10, 30, tzinfo=UTC), timedelta(hours=4))
    assert result == datetime(2026, 10, 8, 6, 30, tzinfo=UTC)


def test_naive_datetimes_are_refused(business: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business.add(datetime(2026, 3, 16, 9), timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        AroundTheClock().elapsed(at(2026, 3, 16), datetime(2026, 3, 17))


def test_parse_hours_reads_periods_and_sorts_them() -> None:
    assert parse_hours([" 13:30 - 18:00", "9:00-12:00"]) == (
        (time(9), time(12)),
        (time(13, 30), time(18)),
    )


def test_parse_hours_allows_periods_that_touch() -> None:
    assert parse_hours(["09:00-12:00", "12:00-13:00"])[1] == (time(12), time(13))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["9-12"], "expected 'HH:MM-HH:MM'"),
        (["09:00~12:00"], "expected 'HH:MM-HH:MM'"),
        (["25:00-26:00"], "not a valid time"),
        (["12:00-09:00"], "end must be after start"),
        (["09:00-09:00"], "end must be after start"),
        (["22:00-02:00"], "cannot cross midnight"),
        (["09:00-12:00", "11:30-13:00"], "09:00-12:00 and 11:30-13:00 overlap"),
        ([], "at least one period"),
        ("09:00-12:00", "expected a list"),
    ],
)
def test_parse_hours_rejects_bad_input_with_a_clear_message(spec: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(spec)


def test_the_constructor_checks_hours_given_as_times() -> None:
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(SH, hours=((time(9), time(12)), (time(10), time(11))))


def test_the_configured_business_calendar_logs_when_it_falls_back_to_weekdays(caplog) -> None:  # type: ignore[no-untyped-def]
    rules = build_rules(load_settings(str(EXAMPLE), env={}))
    beyond = max(STATUTORY_YEARS) + 2
    with caplog.at_level(logging.WARNING, logger="baoxiu"):
        later = rules.calendars["business"].add(datetime(beyond, 3, 2, 17, tzinfo=SH), timedelta(hours=2))
    assert later > datetime(beyond, 3, 2, 18, tzinfo=SH)   # counted on weekdays, not refused
    assert any("holiday calendar does not cover" in r.getMessage() and str(beyond) in r.getMessage()
               for r in caplog.records)
