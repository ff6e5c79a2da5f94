"""Calendars that count SLA time: around the clock, or business hours on China's workdays.

Business days follow China's statutory calendar (public holidays off, 调休 make-up
weekend days on) as published in the `chinesecalendar` package. That package only
knows the years in STATUTORY_YEARS; operators add later years' holidays and make-up
workdays in config (they win over the package), and outside both we assume Mon-Fri and say so.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar.constants import holidays as _statutory_holidays

Period = tuple[time, time]
Span = tuple[datetime, datetime]

DEFAULT_HOURS: tuple[Period, ...] = ((time(9), time(12)), (time(13, 30), time(18)))

# The package refuses dates outside these years; naming the range lets
# us fall back on purpose (and test it) instead of catching errors mid-computation.
STATUTORY_YEARS: range = range(
    min(_statutory_holidays).year, max(_statutory_holidays).year + 1
)

# No open day within a year means the calendar is misconfigured (e.g. no workdays);
# failing beats looping forever inside a deadline computation.
_MAX_CLOSED_DAYS = 366

# Operators are warned this long before the last day whose holidays are known.
WARN_AHEAD = timedelta(days=31)

_ZERO = timedelta(0)
_PERIOD_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


@runtime_checkable
class Calendar(Protocol):
    """Counts the time an SLA clock runs."""

    name: str

    def add(self, start: datetime, work: timedelta) -> datetime:
        """The instant at which `work` of counted time has elapsed after `start`."""
        ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Counted time between two instants (zero if end <= start)."""
        ...


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"timezone-aware datetime required, got {moment.isoformat()}")


def _require_non_negative(work: timedelta) -> None:
    if work < _ZERO:
        raise ValueError(f"cannot add negative work {work}")


class AroundTheClock:
    """Every instant counts: plain arithmetic on real (UTC) time."""

    name: str = "24x7"

    def add(self, start: datetime, work: timedelta) -> datetime:
        _require_aware(start)
        _require_non_negative(work)
        # Via UTC: arithmetic within one zone is wall-clock and drifts an hour over DST.
        return (start.astimezone(UTC) + work).astimezone(start.tzinfo)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        _require_aware(start, end)
        return max(end.astimezone(UTC) - start.astimezone(UTC), _ZERO)


@lru_cache(maxsize=4096)
def _statutory_workday(day: date) -> bool:
    # Cached: the package rescans its whole table on every call.
    return bool(chinese_calendar.is_workday(day))


class ChinaWorkdays:
    """`is_workday` per China's statutory calendar, with an explicit Mon-Fri fallback.

    `holidays` and `workdays` (from config) win over the package; a year they touch is known.
    `on_fallback(day)` is called once per year that had to be guessed, so the operator
    learns that the calendar needs that year's holidays before they are miscounted.
    """

    def __init__(self, on_fallback: Callable[[date], None] | None = None,
                 holidays: frozenset[date] = frozenset(), workdays: frozenset[date] = frozenset()) -> None:
        self._on_fallback = on_fallback
        self._reported: set[int] = set()
        self._holidays, self._workdays = holidays, workdays
        self._configured_years = {d.year for d in holidays | workdays}

    def __call__(self, day: date) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        if day.year in STATUTORY_YEARS:
            return _statutory_workday(day)
        if day.year in self._configured_years:
            return day.weekday() < 5
        if day.year not in self._reported:
            self._reported.add(day.year)
            if self._on_fallback is not None:
                self._on_fallback(day)
        return day.weekday() < 5


def known_until(configured: Collection[date] = ()) -> date:
    """The last day whose holidays are known: the end of the package's last year, or of the
    last year the configured holidays and make-up workdays reach, whichever is later."""
    return date(max([STATUTORY_YEARS[-1], *(d.year for d in configured)]), 12, 31)


def ending_soon(today: date, known: date) -> str | None:
    """The operator's reminder, from a month before the known holidays run out."""
    if today + WARN_AHEAD < known:
        return None
    return (f"【日历提醒】节假日数据只到 {known:%Y-%m-%d}：请在配置的 [[calendar.holidays]] / [[calendar.workdays]] "
            f"中加入 {known.year + 1} 年国务院公布的放假和调休安排（或升级 chinesecalendar），"
            f"否则此后的时效按周一至周五计算。")


class BusinessCalendar:
    """Counts only the opening `hours` (wall clock in `tz`) of workdays.

    Inputs may be in any zone; `add` answers in the zone of its input.
    Stepping is day by day, so long spans cost one iteration per calendar day.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        hours: Sequence[Period] = DEFAULT_HOURS,
        is_workday: Callable[[date], bool] | None = None,
        name: str = "business",
        on_fallback: Callable[[date], None] | None = None,
    ) -> None:
        if is_workday is not None and on_fallback is not None:
            # A silently ignored callback would hide that no fallback ever happens.
            raise ValueError("on_fallback only applies to the built-in statutory workdays")
        self.tz = tz
        self.hours: tuple[Period, ...] = _check_periods(tuple(hours))
        self.name = name
        self._is_workday = is_workday if is_workday is not None else ChinaWorkdays(on_fallback)

    def add(self, start: datetime, work: timedelta) -> datetime:
        _require_aware(start)
        _require_non_negative(work)
        if work == _ZERO:
            return start
        cursor = start.astimezone(UTC)
        remaining = work
        for opens, closes in self._spans_from(cursor):
            begin = max(opens, cursor)
            available = closes - begin
            # `<=` so that work ending exactly at closing time lands on it, not tomorrow.
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        raise AssertionError("unreachable: _spans_from never ends")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        _require_aware(start, end)
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        if hi <= lo:
            return _ZERO
        total = _ZERO
        day, last = self._local_date(lo), self._local_date(hi)
        while day <= last:
            for opens, closes in self._spans_on(day):
                total += max(min(closes, hi) - max(opens, lo), _ZERO)
            day += timedelta(days=1)
        return total

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def _spans_on(self, day: date) -> list[Span]:
        """The day's open periods as UTC instants (empty on days off)."""
        if not self._is_workday(day):
            return []
        spans = []
        for opens, closes in self.hours:
            span = (self._instant(day, opens), self._instant(day, closes))
            if span[1] > span[0]:  # a period swallowed by a DST gap counts nothing
                spans.append(span)
        return spans

    def _instant(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.tz).astimezone(UTC)

    def _spans_from(self, after: datetime) -> Iterator[Span]:
        """Open periods that end after `after`, in order, without end."""
        day = self._local_date(after)
        closed_run = 0
        while True:
            spans = [span for span in self._spans_on(day) if span[1] > after]
            closed_run = 0 if spans else closed_run + 1
            if closed_run > _MAX_CLOSED_DAYS:
                raise ValueError(
                    f"calendar {self.name!r} has no open hours for a year up to {day}"
                )
            yield from spans
            day += timedelta(days=1)


def parse_hours(spec: Sequence[str]) -> tuple[Period, ...]:
    """Parse ["09:00-12:00", "13:30-18:00"] into sorted, non-overlapping periods."""
    if isinstance(spec, str):
        # A bare string is a Sequence[str] too, and would be parsed char by char.
        raise ValueError(
            f"business hours {spec!r}: expected a list like ['09:00-12:00', '13:30-18:00']"
        )
    return _check_periods(tuple(_parse_period(item) for item in spec))


def _parse_period(text: str) -> Period:
    match = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"business hours {text!r}: expected 'HH:MM-HH:MM', e.g. '09:00-12:00'")
    h1, m1, h2, m2 = (int(group) for group in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"business hours {text!r}: not a valid time of day") from None


def _check_periods(periods: tuple[Period, ...]) -> tuple[Period, ...]:
    if not periods:
        raise ValueError("business hours: at least one period is required")
    for opens, closes in periods:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("business hours are wall-clock times; give the zone as tz")
        if closes <= opens:
            raise ValueError(
                f"business hours {_label((opens, closes))}: end must be after start "
                "(a period cannot cross midnight)"
            )
    ordered = tuple(sorted(periods))
    for first, second in zip(ordered, ordered[1:]):
        if second[0] < first[1]:
            raise ValueError(f"business hours {_label(first)} and {_label(second)} overlap")
    return ordered


def _label(period: Period) -> str:
    return f"{period[0]:%H:%M}-{period[1]:%H:%M}"


_HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                  "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                  "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}
# Outside the published years only the fixed-date holidays are certain.
_FIXED_HOLIDAYS = {(1, 1): "元旦", (5, 1): "劳动节", (10, 1): "国庆节", (10, 2): "国庆节", (10, 3): "国庆节"}


def holiday_name(day: date) -> str | None:
    """The public holiday `day` falls on (元旦, 国庆节…), or None on a workday or an ordinary weekend."""
    if day.year not in STATUTORY_YEARS:
        return _FIXED_HOLIDAYS.get((day.month, day.day))
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    if not on_holiday or name is None:
        return None
    return _HOLIDAY_NAMES.get(str(name), "法定节假日")
