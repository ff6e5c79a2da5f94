"""Everyday Chinese time phrases -> an appointment window.

``明天下午三点半``, ``周六上午``, ``11/25 14:00``, ``下午2点到4点``.  The caller
passes ``now`` so the function stays pure and testable.  The text is read in
three passes, each removing what it consumed so later passes cannot misread
it: the day (明天/周六/11月25日), then the clock time, then a bare period
(上午/下午).  Anything in the past is rejected rather than guessed forward,
except a bare weekday, which means "the next such day".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import cn2an

from handlers.text import normalize


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class _Day:
    day: date
    rolls_weekly: bool = False   # a bare 周六 may move to next week if today's is over
    hint: str | None = None      # the period implied by 明早 / 今晚


class _Impossible(ValueError):
    """The text names a day or time that cannot exist (2月30日, 25点)."""


class _Past(ValueError):
    """The text names a day or time that is already over (昨天下午3点, 今天上午 at 2 p.m.)."""


_Clock = tuple[time, time | None]   # start, and an explicit end for ranges

_PERIODS = {"上午": (9, 12), "中午": (12, 13), "下午": (13, 18), "晚上": (18, 21)}
_PERIOD_WORDS = {
    "上午": "上午", "早上": "上午", "早晨": "上午", "清早": "上午",
    "中午": "中午",
    "下午": "下午", "午后": "下午",
    "晚上": "晚上", "傍晚": "晚上", "晚间": "晚上", "夜里": "晚上",
}
_PERIOD_RE = "|".join(sorted(_PERIOD_WORDS, key=len, reverse=True))
_PERIOD = re.compile(_PERIOD_RE)
_BOOK = re.compile(r"^预约\s*")
_WORK_DAY = (9, 18)
_SLOT = timedelta(hours=1)

_RELATIVE = {"大后天": (3, None), "后天": (2, None), "明天": (1, None), "明日": (1, None),
             "明儿": (1, None), "明早": (1, "上午"), "明晨": (1, "上午"), "明晚": (1, "晚上"),
             "今天": (0, None), "今日": (0, None), "今儿": (0, None), "今早": (0, "上午"),
             "今晚": (0, "晚上"), "昨天": (-1, None), "昨日": (-1, None), "昨晚": (-1, "晚上"),
             "前天": (-2, None)}
_RELATIVE_RE = re.compile("|".join(sorted(_RELATIVE, key=len, reverse=True)))
_WEEKDAY_RE = re.compile(r"(?P<scope>下下个?|下个?|上个?|这个?|本)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])")
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6}
_WEEKDAYS |= {str(i + 1): i for i in range(7)}

_CN_NUM = "零〇一二两三四五六七八九十"
# "快一点" / "早一点" mean "a bit", not one o'clock.
_NOT_A_TIME = re.compile(r"[快早晚慢好多少大小稍有差]一点|一点[点儿]")
_CN_BEFORE_UNIT = re.compile(rf"[{_CN_NUM}]+(?=[月日号点时])")
_CN_MINUTES = re.compile(rf"(?<=[点时])[{_CN_NUM}]+(?!刻)")

# 2026-12-05, 2026/12/5, 2026年12月5日: the year is said, so the date is taken as it is.
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?![\d:点时])")
# 12月8号, 12/8, 12-8, and 12.8 as people type it on a phone keyboard.
_MONTH_DAY = re.compile(r"(?<![\d.])(\d{1,2})\s*(?:月|/|-|\.(?=\d{1,2}(?!\d|\.\d)))\s*(\d{1,2})\s*[日号]?(?![\d:点时米元块斤寸%])")
# Days known by name; the lunar festivals move every year and are left to a date.
_FESTIVALS = {"元旦": (1, 1), "五一": (5, 1), "劳动节": (5, 1), "国庆节": (10, 1), "国庆": (10, 1),
              "平安夜": (12, 24), "圣诞节": (12, 25), "圣诞": (12, 25), "情人节": (2, 14)}
_NEXT_MONTH = re.compile(r"下个?月\s*(\d{1,2})\s*[日号]")
# Words that name a day this reader does not know (月底, 下下周, 农历…): asked about, never read as today.
_UNREAD_DAY = re.compile(r"[月号]|周|星期|礼拜|农历|初[一二三四五六七八九十]|节|过几天|改天|回头")
_FESTIVAL_RE = re.compile("|".join(sorted(_FESTIVALS, key=len, reverse=True)))
_DAY_ONLY = re.compile(r"(?<![\d月])(\d{1,2})\s*[日号](?!楼)")
# What those patterns cannot do without, looked for first: most messages name no day (a search costs little
# next to the patterns' own, which try every position).
_WEEK_WORD = re.compile(r"周|星期|礼拜")
_DATE_MARK = re.compile(r"[-/.年月日号]")   # _FULL_DATE, _MONTH_DAY, _DAY_ONLY
_MINUTE = r"半|[1一3三]刻|\d{1,2}"


def _clock_re(n: int, unit_optional: bool = False) -> str:
    """Clock time number n: 下午3点 / 3点半 / 3点15分 / 14:00 (unit optional before a range dash)."""
    unit = rf"(?:[点时]\s*(?P<m{n}>{_MINUTE})?\s*分?|:\s*(?P<mm{n}>\d{{2}}))"
    return rf"(?P<p{n}>{_PERIOD_RE})?\s*(?P<h{n}>\d{{1,2}})\s*{unit}{'?' if unit_optional else ''}"


_SINGLE = re.compile(_clock_re(1))
_CLOCK_UNIT = re.compile(r"[点时:]")   # what every clock time has (the end of a range too)
_RANGE = re.compile(_clock_re(1, unit_optional=True) + r"\s*(?:到|至|-|~|—)\s*" + _clock_re(2))


def _cn_to_int(match: re.Match[str]) -> str:
    try:
        return str(int(cn2an.cn2an(match.group(0), "normal")))
    except (ValueError, KeyError):
        return match.group(0)


def _prepare(text: str) -> str:
    text = normalize(text).lower().replace("：", ":")
    text = _BOOK.sub("", text).replace("周末", "周六")
    return _NOT_A_TIME.sub(" ", text)


def _weekday(today: date, scope: str | None, target: int) -> _Day:
    monday = today - timedelta(days=today.weekday())
    if scope and scope.startswith("下下"):
        return _Day(monday + timedelta(days=14 + target))
    if scope and scope.startswith("下"):
        return _Day(monday + timedelta(days=7 + target))
    if scope and scope.startswith("上"):
        return _Day(monday + timedelta(days=target - 7))
    if scope:  # 这周/本周: strictly this week, so a past day stays past
        return _Day(monday + timedelta(days=target))
    return _Day(today + timedelta(days=(target - today.weekday()) % 7), rolls_weekly=True)


_LAST_YEAR_BACK = timedelta(days=183)


def _calendar_day(today: date, month: int | None, day_of_month: int) -> date | None:
    """Next occurrence of month/day (or of the day in this or next month).

    A month/day up to half a year back is a day gone by (12.1 said on 12.2), not next year's."""
    try:
        found = date(today.year, month or today.month, day_of_month)
    except ValueError:  # 2月30日, 31号 in a 30-day month
        found = None
    if month is not None and found is not None and found < today and today - found <= _LAST_YEAR_BACK:
        raise _Past(f"{month}/{day_of_month}")
    try:
        if month is not None:
            found = date(today.year, month, day_of_month)
            return found if found >= today else date(today.year + 1, month, day_of_month)
        found = date(today.year, today.month, day_of_month)
        if found >= today:
            return found
        year, month = divmod(today.year * 12 + today.month, 12)  # the next month
        return date(year, month + 1, day_of_month)
    except ValueError:  # 2月30日, 31号 in a 30-day month
        return None


def _take_day(text: str, today: date) -> tuple[_Day | None, str]:
    """Find the day, returning it and the text with the day words removed."""
    m = _RELATIVE_RE.search(text)
    if m:
        offset, hint = _RELATIVE[m.group(0)]
        return _Day(today + timedelta(days=offset), hint=hint), _cut(text, m)
    m = _WEEKDAY_RE.search(text) if _WEEK_WORD.search(text) else None
    if m:
        return _weekday(today, m.group("scope"), _WEEKDAYS[m.group("d")]), _cut(text, m)
    m = _NEXT_MONTH.search(text)
    if m:
        year, month0 = divmod(today.year * 12 + today.month, 12)   # the next month, 0-based
        try:
            return _Day(date(year, month0 + 1, int(m.group(1)))), _cut(text, m)
        except ValueError:
            raise _Impossible(m.group(0)) from None
    m = _FESTIVAL_RE.search(text)
    if m:
        named_month, named_day = _FESTIVALS[m.group(0)]
        return _Day(_calendar_day(today, named_month, named_day) or today), _cut(text, m)
    text = _CN_BEFORE_UNIT.sub(_cn_to_int, text)
    if not _DATE_MARK.search(text):
        return None, text
    m = _FULL_DATE.search(text)
    if m:
        try:
            return _Day(date(int(m.group(1)), int(m.group(2)), int(m.group(3)))), _cut(text, m)
        except ValueError:
            raise _Impossible(m.group(0)) from None
    for pattern, has_month in ((_MONTH_DAY, True), (_DAY_ONLY, False)):
        m = pattern.search(text)
        if m:
            month = int(m.group(1)) if has_month else None
            found = _calendar_day(today, month, int(m.group(2 if has_month else 1)))
            if found is None:
                raise _Impossible(m.group(0))
            return _Day(found), _cut(text, m)
    return None, text


def _cut(text: str, m: re.Match[str]) -> str:
    return text[:m.start()] + " " + text[m.end():]


def _minutes(raw: str | None) -> int:
    if not raw:
        return 0
    if raw == "半":
        return 30
    if raw.endswith("刻"):
        return 15 if raw[0] in "1一" else 45
    return int(raw)


def _hour(raw_hour: str, period: str | None) -> int | None:
    hour = int(raw_hour)
    if period in ("下午", "晚上"):
        if period == "晚上" and hour == 12:
            return None  # midnight is never a service appointment
        return hour + 12 if hour < 12 else hour
    if period == "中午":
        return hour + 12 if hour <= 2 else hour
    if period is None and 1 <= hour <= 7:
        return hour + 12  # nobody books a plumber for 3 a.m.
    return hour


def _clock(m: re.Match[str], n: int, fallback: str | None) -> time | None:
    period = _PERIOD_WORDS.get(m.group(f"p{n}") or "") or fallback
    hour = _hour(m.group(f"h{n}"), period)
    minute = _minutes(m.group(f"m{n}") or m.group(f"mm{n}"))
    if hour is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _take_times(text: str, hint: str | None) -> _Clock | None:
    if not _CLOCK_UNIT.search(text):
        return None   # most messages: no 点, 时 or colon, so no clock time (_SINGLE, _RANGE) can be in them
    text = _CN_BEFORE_UNIT.sub(_cn_to_int, text)
    text = _CN_MINUTES.sub(_cn_to_int, text)
    m = _RANGE.search(text)
    if m:
        first = _clock(m, 1, hint)
        # 下午2点到4点: the end inherits the start's period.
        second = _clock(m, 2, _PERIOD_WORDS.get(m.group("p1") or "") or hint)
        if not (first and second):
            raise _Impossible(m.group(0))
        return first, second
    m = _SINGLE.search(text)
    if m:
        first = _clock(m, 1, hint)
        if not first:
            raise _Impossible(m.group(0))
        return first, None
    return None


def _take_period(text: str, hint: str | None) -> tuple[int, int] | None:
    m = _PERIOD.search(text)
    word = _PERIOD_WORDS[m.group(0)] if m else hint
    return _PERIODS[word] if word else None


def _at(day: date, hour: int, minute: int, now: datetime) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)


def _ceil_quarter(moment: datetime) -> datetime:
    """Round up to the next quarter hour so a clipped window starts on a slot."""
    base = moment.replace(second=0, microsecond=0, minute=0)
    quarters = math.ceil((moment - base).total_seconds() / 900)
    return base + timedelta(minutes=15 * quarters)


def _clock_window(day: date, clock: _Clock, now: datetime) -> Window | None:
    """An exact time must be in the future; it is never clipped."""
    start = _at(day, clock[0].hour, clock[0].minute, now)
    end = _at(day, clock[1].hour, clock[1].minute, now) if clock[1] else start + _SLOT
    if end <= start:
        raise _Impossible("the range ends before it starts")
    return Window(start, end) if now <= start else None


def _span_window(day: date, hours: tuple[int, int], now: datetime) -> Window | None:
    """A period or a whole day may already have begun: offer what is left of it."""
    start = max(_at(day, hours[0], 0, now), _ceil_quarter(now))
    end = _at(day, hours[1], 0, now)
    return Window(start, end) if start < end else None


# A clause that turns a time down: "明天上午我不在家", "周六有事".
_UNAVAILABLE = re.compile(r"不在家|不在|没人在?|不行|不方便|没空|没时间|有事|要上班|来不了|去不了")
_CLAUSE = re.compile(r"[，,。.!！?？~；;\s]+")


def offered(text: str, today: date) -> str:
    """What to read a time from when part of `text` turns a time down: "明天上午我不在家 下午可以吗"
    offers 明天下午. The clauses that turn a time down are left out, lending their day to the rest
    when it names none; a text that turns nothing down comes back as it is, one that only turns a
    time down ("明天不在家") offers none."""
    clauses = [c for c in _CLAUSE.split(text) if c]
    kept = [c for c in clauses if not _UNAVAILABLE.search(c)]
    if not kept:
        return ""
    if len(kept) == len(clauses):
        return text
    rest = " ".join(kept)
    if _day_in(rest, today) is None:
        for clause in clauses:
            if clause not in kept and (found := _day_in(clause, today)) is not None:
                return f"{found.day.year}年{found.day.month}月{found.day.day}日 {rest}"
    return rest


def _day_in(text: str, today: date) -> _Day | None:
    try:
        return _take_day(_prepare(text), today)[0]
    except _Impossible:
        return None


def parse_when(text: str, now: datetime) -> Window | None:
    try:
        return _parse(_prepare(text), now)
    except (_Impossible, _Past):
        return None


def is_past(text: str, now: datetime) -> bool:
    """True when the text names a real time that is already over: that deserves its own answer."""
    try:
        _parse(_prepare(text), now)
    except _Past:
        return True
    except _Impossible:
        return False
    return False


def _parse(text: str, now: datetime) -> Window | None:
    text = _CN_BEFORE_UNIT.sub(_cn_to_int, text)   # 下个月三号 -> 下个月3号, before the day is looked for
    found, text = _take_day(text, now.date())
    if found is None and _UNREAD_DAY.search(text):
        raise _Impossible(text)
    hint = found.hint if found else None
    clock = _take_times(text, hint)
    hours = None if clock else _take_period(text, hint) or (_WORK_DAY if found else None)
    if clock is None and hours is None:
        return None  # no day and no time: nothing to book

    def build(day: date) -> Window | None:
        return _clock_window(day, clock, now) if clock else _span_window(day, hours or _WORK_DAY, now)

    day = found.day if found else now.date()
    window = build(day)
    if window is None and found and found.rolls_weekly:
        window = build(day + timedelta(days=7))
    if window is None:
        raise _Past(text)
    return window
