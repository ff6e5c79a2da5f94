"""Periods as managers say them: 今天, 上周, 本月, 11月1号到15号, 最近七天, 上季度 -> a span of days.

`read_period` returns a canonical name ("today", "this_month", …, or "YYYY-MM-DD..YYYY-MM-DD"),
"unknown" when the message names a period the bot cannot read (it is then asked back, never
replaced by today), or None when no period is named. `span` turns a canonical name into dates.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import cn2an

NAMED = {
    "today": re.compile(r"今天|今日|今儿|当天|today"),
    "yesterday": re.compile(r"昨天|昨日|昨儿|yesterday"),
    "this_week": re.compile(r"本周|这周|这个?星期|这个?礼拜|本星期|本礼拜|this ?week"),
    "last_week": re.compile(r"上周(?![一二三四五六日天1-7])|上个?星期(?![一二三四五六日天])|上个?礼拜(?![一二三四五六日天])|last ?week"),
    "this_month": re.compile(r"本月|这个?月|当月|this ?month"),
    "last_month": re.compile(r"上个?月|last ?month"),
}
_NUM = r"\d+|[一二两三四五六七八九十]+"
_RECENT = re.compile(rf"(?:最近|近|过去|前)({_NUM})(天|日|周|个?星期|个?月)")
_QUARTER = re.compile(r"(上|本|这|这个)季度")
_YEAR = re.compile(r"(今年|本年|去年)")
_DAY = r"(?:(\d{1,2})[月./-])?(\d{1,2})[号日]?"
_RANGE = re.compile(rf"{_DAY}\s*(?:到|至|-|~|—)\s*{_DAY}")
_MONTH = re.compile(r"(?<!\d)(\d{1,2})月份?(?![\d号日])")
_LAST_WEEKDAY = re.compile(r"上(?:周|个?星期|个?礼拜)([一二三四五六日天1-7])")
_WEEKDAYS = {c: i for i, c in enumerate("一二三四五六日")} | {"天": 6} | {str(i + 1): i for i in range(7)}
# words that name a time span: left over after the readable ones, the period was not understood
_PERIODISH = re.compile(r"天|日|周|星期|礼拜|月|季|年|号|那阵|那会|那段|前段|段时间|之前|上次|以前|前阵")


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() else int(cn2an.cn2an(raw, "normal"))


def _iso(a: date, b: date) -> str:
    return f"{a.isoformat()}..{b.isoformat()}"


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _range(m: re.Match[str], today: date) -> str | None:
    m1, d1, m2, d2 = (int(g) if g else None for g in m.groups())
    month1 = m1 or today.month
    try:
        start = date(today.year, month1, d1 or 1)
        end = date(today.year, m2 or month1, d2 or 1)
    except ValueError:
        return "unknown"
    return _iso(start, end) if start <= end else "unknown"


def _recent(m: re.Match[str], today: date) -> str:
    n, unit = _int(m.group(1)), m.group(2)
    days = n * (7 if ("周" in unit or "星期" in unit) else 30 if "月" in unit else 1)
    return _iso(today - timedelta(days=days - 1), today)


def _quarter(m: re.Match[str], today: date) -> str:
    q = (today.month - 1) // 3 - (1 if m.group(1) == "上" else 0)
    year = today.year + (q // 4)
    q %= 4
    return _iso(date(year, q * 3 + 1, 1), _month_end(year, q * 3 + 3))


def _readers(today: date) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]]:
    return [(_RANGE, lambda m: _range(m, today)), (_RECENT, lambda m: _recent(m, today)),
            (_QUARTER, lambda m: _quarter(m, today)),
            (_LAST_WEEKDAY, lambda m: _last_weekday(m, today)),
            (_YEAR, lambda m: _year(m, today)),
            (_MONTH, lambda m: _month(m, today))]


def _last_weekday(m: re.Match[str], today: date) -> str:
    day = today - timedelta(days=today.weekday() + 7) + timedelta(days=_WEEKDAYS[m.group(1)])
    return _iso(day, day)


def _year(m: re.Match[str], today: date) -> str:
    year = today.year - (1 if m.group(1) == "去年" else 0)
    return _iso(date(year, 1, 1), date(year, 12, 31))


def _month(m: re.Match[str], today: date) -> str:
    month = int(m.group(1))
    if not 1 <= month <= 12:
        return "unknown"
    year = today.year if month <= today.month else today.year - 1
    return _iso(date(year, month, 1), _month_end(year, month))


def read_period(text: str, today: date) -> str | None:
    """The period named in `text` (normalized: simplified, half-width, lower case)."""
    for pattern, read in _readers(today):
        m = pattern.search(text)
        if m:
            return read(m)
    for name, pattern in NAMED.items():
        if pattern.search(text):
            return name
    return "unknown" if _PERIODISH.search(text) else None


def span(period: str | None, today: date) -> tuple[date, date] | None:
    """First and last day (inclusive) of a canonical period; None for "unknown"."""
    if period is None or period == "today":
        return today, today
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    spans = {"yesterday": (today - timedelta(days=1),) * 2, "this_week": (monday, today),
             "last_week": (monday - timedelta(days=7), monday - timedelta(days=1)),
             "this_month": (first, today),
             "last_month": ((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1))}
    if period in spans:
        return spans[period]
    if ".." in period:
        a, b = period.split("..")
        return date.fromisoformat(a), date.fromisoformat(b)
    return None
