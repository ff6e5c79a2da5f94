"""Holidays and make-up workdays from config beyond (and over) chinesecalendar's years, and the reminder
a month before the known holidays run out (issue 12, 9)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import STATUTORY_YEARS, BusinessCalendar, ChinaWorkdays, ending_soon, known_until

SH = ZoneInfo("Asia/Shanghai")
NEXT = STATUTORY_YEARS[-1] + 1          # the first year the package does not know


def test_configured_holidays_and_make_up_days_decide_a_year_the_package_does_not_know() -> None:
    guessed: list[date] = []
    new_year = frozenset({date(NEXT, 1, 1)})
    workdays = ChinaWorkdays(guessed.append, holidays=new_year, workdays=frozenset({date(NEXT, 1, 2)}))
    assert workdays(date(NEXT, 1, 1)) is False and date(NEXT, 1, 1).weekday() < 5
    assert workdays(date(NEXT, 1, 2)) is True and date(NEXT, 1, 2).weekday() >= 5
    assert workdays(date(NEXT, 1, 4)) is (date(NEXT, 1, 4).weekday() < 5)
    assert guessed == []                                      # that year is known now
    workdays(date(NEXT + 1, 3, 1))
    assert [d.year for d in guessed] == [NEXT + 1]


def test_configuration_wins_over_the_package() -> None:
    national_day = date(2026, 10, 1)                              # off in the package's data
    assert ChinaWorkdays()(national_day) is False
    assert ChinaWorkdays(workdays=frozenset({national_day}))(national_day) is True
    ordinary = date(2026, 11, 24)
    assert ChinaWorkdays(holidays=frozenset({ordinary}))(ordinary) is False


def test_a_deadline_skips_a_configured_holiday() -> None:
    holiday = date(NEXT, 1, 1)
    calendar = BusinessCalendar(SH, is_workday=ChinaWorkdays(holidays=frozenset({holiday})))
    evening_before = datetime(NEXT - 1, 12, 31, 17, tzinfo=SH)   # a Thursday in the package's last year
    due = calendar.add(evening_before, timedelta(hours=2))
    assert due.date() != holiday and due.date() > holiday


def test_the_known_days_end_with_the_last_year_either_source_reaches() -> None:
    assert known_until() == date(STATUTORY_YEARS[-1], 12, 31)
    assert known_until([date(NEXT, 5, 1)]) == date(NEXT, 12, 31)


def test_the_reminder_starts_a_month_before_the_known_days_end() -> None:
    end = date(2026, 12, 31)
    assert ending_soon(date(2026, 11, 29), end) is None
    reminder = ending_soon(date(2026, 12, 1), end)
    assert reminder is not None and "2026-12-31" in reminder and "2027 年" in reminder
    assert "[[calendar.holidays]]" in reminder
