"""Everyday Chinese appointment times against a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.extract.when import Window, is_past, offered, parse_when

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=SH)          # Monday 10:00
SATURDAY = datetime(2026, 11, 28, 10, 30, tzinfo=SH)       # Saturday 10:30
YEAR_END = datetime(2026, 12, 30, 20, 0, tzinfo=SH)        # Wednesday 20:00
MONTH_END = datetime(2026, 11, 30, 16, 0, tzinfo=SH)       # Monday 16:00


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def w(start: datetime, end: datetime | int) -> Window:
    """end may be given as an hour on the start's day."""
    if isinstance(end, int):
        end = start.replace(hour=end, minute=0)
    return Window(start, end)


def hour_from(start: datetime) -> Window:
    return Window(start, start + timedelta(hours=1))


MONDAY_CASES = [
    ("明天下午3点", hour_from(at(11, 24, 15))),
    ("明天下午三点半", hour_from(at(11, 24, 15, 30))),
    ("明天下午三点四十五", hour_from(at(11, 24, 15, 45))),
    ("明天下午3点15分", hour_from(at(11, 24, 15, 15))),
    ("三点一刻", hour_from(at(11, 23, 15, 15))),
    ("今天晚上7点", hour_from(at(11, 23, 19))),
    ("后天上午", w(at(11, 25, 9), 12)),
    ("大后天下午", w(at(11, 26, 13), 18)),
    ("周六上午", w(at(11, 28, 9), 12)),
    ("星期六上午", w(at(11, 28, 9), 12)),
    ("礼拜六下午", w(at(11, 28, 13), 18)),
    ("周日", w(at(11, 29, 9), 18)),
    ("礼拜天上午10点", hour_from(at(11, 29, 10))),
    ("周末", w(at(11, 28, 9), 18)),
    ("下周六", w(at(12, 5, 9), 18)),
    ("下周六上午", w(at(12, 5, 9), 12)),
    ("下个星期一下午2点", hour_from(at(11, 30, 14))),
    ("这周五晚上", w(at(11, 27, 18), 21)),
    ("周一上午", w(at(11, 23, 10), 12)),            # today, what is left of the morning
    ("周一上午9点", hour_from(at(11, 30, 9))),      # today's 9:00 is gone: next Monday
    ("11月25日9点", hour_from(at(11, 25, 9))),
    ("11/25 14:00", hour_from(at(11, 25, 14))),
    ("１１月２５日　１４：００", hour_from(at(11, 25, 14))),
    ("十一月二十五号下午两点", hour_from(at(11, 25, 14))),
    ("25号上午10点", hour_from(at(11, 25, 10))),
    ("30号", w(at(11, 30, 9), 18)),
    ("20号", w(at(12, 20, 9), 18)),                 # the 20th has passed: next month
    ("12月1日上午", w(at(12, 1, 9), 12)),
    ("1月2日下午", w(at(1, 2, 13, year=2027), 18)),  # already past this year: next year
    ("明早9点", hour_from(at(11, 24, 9))),
    ("明晚8点", hour_from(at(11, 24, 20))),
    ("明天中午", w(at(11, 24, 12), 13)),
    ("明天8点", hour_from(at(11, 24, 8))),
    ("明天12点", hour_from(at(11, 24, 12))),
    ("下午2点到4点", w(at(11, 23, 14), 16)),
    ("下午2-4点", w(at(11, 23, 14), 16)),
    ("14:00-16:00", w(at(11, 23, 14), 16)),
    ("明天上午10点到12点", w(at(11, 24, 10), 12)),
    ("11点到1点", w(at(11, 23, 11), 13)),
    ("今天", w(at(11, 23, 10), 18)),
    ("明天", w(at(11, 24, 9), 18)),
    ("晚上", w(at(11, 23, 18), 21)),
    ("预约明天上午十点", hour_from(at(11, 24, 10))),
    ("两点", hour_from(at(11, 23, 14))),
    ("十点半", hour_from(at(11, 23, 10, 30))),
    ("早一点，明天上午", w(at(11, 24, 9), 12)),
    ("明天下午3点可以吗？", hour_from(at(11, 24, 15))),
]


@pytest.mark.parametrize(("text", "expected"), MONDAY_CASES, ids=[c[0] for c in MONDAY_CASES])
def test_parse_when_monday_morning(text: str, expected: Window) -> None:
    assert parse_when(text, MONDAY) == expected


@pytest.mark.parametrize("text", [
    "今天上午9点",        # already past
    "9点",               # bare 9 is 09:00 today, past
    "这周一上午9点",      # strictly this week, past
    "我想修马桶",
    "好的",
    "",
    "下周",              # no day named
    "快一点来",          # "a bit faster", not one o'clock
    "2月30日",
    "31号下午",           # November has no 31st
    "25点",
    "晚上12点",
])
def test_parse_when_rejects(text: str) -> None:
    assert parse_when(text, MONDAY) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("周六上午", w(at(11, 28, 10, 30), 12)),      # still before noon: today
    ("周六下午3点", hour_from(at(11, 28, 15))),
    ("周六上午9点", hour_from(at(12, 5, 9))),
    ("今天", w(at(11, 28, 10, 30), 18)),
    ("这周六", w(at(11, 28, 10, 30), 18)),
    ("下周六", w(at(12, 5, 9), 18)),
    ("周日上午", w(at(11, 29, 9), 12)),
])
def test_parse_when_on_saturday(text: str, expected: Window) -> None:
    assert parse_when(text, SATURDAY) == expected


def test_saturday_morning_after_noon_means_next_saturday() -> None:
    assert parse_when("周六上午", SATURDAY.replace(hour=12, minute=30)) == w(at(12, 5, 9), 12)


@pytest.mark.parametrize(("text", "expected"), [
    ("明天上午", w(at(12, 31, 9), 12)),
    ("后天", w(at(1, 1, 9, year=2027), 18)),
    ("5号", w(at(1, 5, 9, year=2027), 18)),
    ("1月2日", w(at(1, 2, 9, year=2027), 18)),
    ("周五", w(at(1, 1, 9, year=2027), 18)),
    ("今天晚上8点半", hour_from(at(12, 30, 20, 30))),
    ("12月31日晚上8点", hour_from(at(12, 31, 20))),
])
def test_parse_when_across_year_end(text: str, expected: Window) -> None:
    assert parse_when(text, YEAR_END) == expected


@pytest.mark.parametrize("text", ["今天", "今天下午", "今天晚上7点"])
def test_parse_when_day_is_over(text: str) -> None:
    assert parse_when(text, YEAR_END) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("明天上午10点", hour_from(at(12, 1, 10))),
    ("1号", w(at(12, 1, 9), 18)),
    ("今天下午", w(at(11, 30, 16), 18)),
])
def test_parse_when_across_month_end(text: str, expected: Window) -> None:
    assert parse_when(text, MONTH_END) == expected


def test_clipped_window_starts_on_the_next_quarter_hour() -> None:
    assert parse_when("今天", MONDAY.replace(minute=7)) == w(at(11, 23, 10, 15), 18)


def test_window_keeps_the_callers_timezone() -> None:
    found = parse_when("明天下午3点", MONDAY)
    assert found is not None
    assert found.start.tzinfo is SH and found.end.tzinfo is SH
    assert found.start.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-05 10:00", hour_from(at(12, 5, 10))),
    ("2026/12/5 下午2点", hour_from(at(12, 5, 14))),
    ("2026年12月5日上午", w(at(12, 5, 9), 12)),
    ("12月5日上午", w(at(12, 5, 9), 12)),
])
def test_dates_with_a_year_or_a_month_are_read(text: str, expected: Window) -> None:
    assert parse_when(text, MONDAY) == expected


@pytest.mark.parametrize("text", ["昨天下午3点", "前天上午", "昨晚8点", "上周五", "2026-11-20 10:00", "今天上午8点"])
def test_a_time_already_over_is_refused_and_recognised_as_past(text: str) -> None:
    assert parse_when(text, MONDAY) is None
    assert is_past(text, MONDAY)


@pytest.mark.parametrize("text", ["明天25点", "随便", "下午4点到2点"])
def test_nonsense_is_not_called_past(text: str) -> None:
    assert parse_when(text, MONDAY) is None and not is_past(text, MONDAY)


@pytest.mark.parametrize("text, window", [
    ("明天上午我不在家 下午可以吗", w(at(11, 24, 13), 18)),       # the day turned down lends its day
    ("明天上午我不在家，后天下午可以吗", w(at(11, 25, 13), 18)),  # the offer names its own
    ("周六有事 周日上午来吧", w(at(11, 29, 9), 12)),
    ("明天下午三点", w(at(11, 24, 15), 16)),                     # nothing turned down: read as it is
    ("明天不在家", None),                                         # only turned down: no time offered
])
def test_a_time_turned_down_is_not_the_time_offered(text: str, window: Window | None) -> None:
    assert parse_when(offered(text, MONDAY.date()), MONDAY) == window
