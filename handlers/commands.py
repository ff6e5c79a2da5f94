"""Chat text → (verb, ticket number, rest). One table of words per verb."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from handlers.text import normalize

# canonical verb -> words that mean it, longest first where one is a prefix of another
VERBS: dict[str, tuple[str, ...]] = {
    "help": ("帮助", "help", "菜单", "?", "？"),
    "status": ("进度", "查询", "查进度", "查工单"),
    "urge": ("催单", "催一下", "催促"),
    "cancel": ("取消工单", "取消报修", "取消"),
    "fixed": ("修好了", "已修好", "确认修好", "好了"),
    "not_fixed": ("没修好", "没有修好", "还没好", "未修好", "还是坏的"),
    "accept": ("接单", "抢单"),
    "reject": ("拒单", "拒绝"),
    "book": ("预约",),
    "depart": ("出发", "在路上"),
    "arrive": ("到达", "签到", "已到达"),
    "hold": ("挂起",),
    "resume": ("恢复",),
    "finish": ("完工", "完成"),
    "my_jobs": ("我的工单",),
    "on_duty": ("上班",),
    "off_duty": ("下班",),
    "proxy": ("代客报修",),
    "assign": ("派单", "改派"),
    "priority": ("改优先级",),
    "queue": ("待派单",),
    "show": ("工单",),
    "stats": ("今日统计", "统计"),
    "parts": ("配件", "备件"),
    "reserve": ("预留", "领料"),
    "customer": ("客户",),
    "bind": ("绑定",),
    "callbacks": ("待回访",),
    "callback_done": ("已回访",),
    "confirmation": ("服务确认单", "确认单"),
    "incident_fixed": ("故障解除", "解除故障"),
}

_ORDERED = sorted(((w, v) for v, words in VERBS.items() for w in words), key=lambda p: -len(p[0]))
# The same, lower-cased and grouped by first character: a message is compared only with the words it may start with.
_BY_FIRST: dict[str, list[tuple[str, str, str]]] = {}
for _word, _verb in _ORDERED:
    _BY_FIRST.setdefault(_word.lower()[:1], []).append((_word.lower(), _word, _verb))


def _starting(low: str) -> tuple[str, str] | None:
    """(the command word lower-cased `low` starts with, its verb), the longest first; None for free text."""
    return next(((w, v) for lower, w, v in _BY_FIRST.get(low[:1], ()) if low.startswith(lower)), None)


@dataclass(frozen=True)
class Command:
    verb: str
    number: str | None
    rest: str


@lru_cache(maxsize=16)   # asked for on every message; a desk has one prefix
def number_pattern(prefix: str) -> re.Pattern[str]:
    # Not \b: Chinese characters count as word characters, and "派单BX…-0001给李强" has no spaces.
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}\d{{8}}-\d{{3,5}}(?!\d)", re.IGNORECASE)


def parse(text: str, prefix: str) -> Command | None:
    """A command when the text starts with a command word; None for free text.

    Traditional characters (進度) and full-width digits (ＢＸ２０２６…) read as their everyday forms."""
    stripped = normalize(text)
    found = _starting(stripped.lower())
    if found is None:
        return None
    word, verb = found
    tail = stripped[len(word):].strip(" ：:，,")
    match = number_pattern(prefix).search(tail)
    number = match.group(0).upper() if match else None
    rest = number_pattern(prefix).sub("", tail).strip(" ：:，,")
    return Command(verb, number, rest)


def word(text: str) -> str:
    """The command word a message starts with ("统计 本月" → 统计); "" for free text."""
    found = _starting(normalize(text).lower())
    return found[0] if found else ""


_STARS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_SEP = r"[\s，,。.！!：:;；~～]"
# A digit alone, or with 分/星, or followed by a separator and a comment. "3栋2单元…" is an address, not 3 stars.
RATING = re.compile(rf"^(?:评分|打分|评价|评|给|打)?{_SEP}*(?:打|给)?\s*([1-5一二两三四五])\s*"
                    rf"(?:(?:分(?!钟)|星|颗星)(?:{_SEP}*)(?P<a>.*)|{_SEP}+(?![栋号楼单元室幢座层门梯])(?P<b>.*)|)$", re.S)


def rating(text: str) -> tuple[int, str] | None:
    """`5`, `５`, `五星`, `评分 5`, `打5分`, `5分 很满意`, `4星，师傅很专业` → (stars, comment)."""
    m = RATING.match(normalize(text))
    if m is None:
        return None
    return _STARS[m.group(1)], (m.group("a") or m.group("b") or "").strip()
