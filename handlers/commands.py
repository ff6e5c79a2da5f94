"""Chat text → (verb, ticket number, rest). One table of words per verb."""
from __future__ import annotations

import re
from dataclasses import dataclass

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
}

_ORDERED = sorted(((w, v) for v, words in VERBS.items() for w in words), key=lambda p: -len(p[0]))


@dataclass(frozen=True)
class Command:
    verb: str
    number: str | None
    rest: str


def number_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(prefix)}\d{{8}}-\d{{3,5}}\b", re.IGNORECASE)


def parse(text: str, prefix: str) -> Command | None:
    """A command when the text starts with a command word; None for free text."""
    stripped = text.strip()
    low = stripped.lower()
    for word, verb in _ORDERED:
        if low.startswith(word.lower()):
            tail = stripped[len(word):].strip(" ：:，,")
            match = number_pattern(prefix).search(tail)
            number = match.group(0).upper() if match else None
            rest = number_pattern(prefix).sub("", tail).strip(" ：:，,")
            return Command(verb, number, rest)
    return None


RATING = re.compile(r"^\s*([1-5])\s*(?:分|星|颗星)?\s*[，,。.！!：: ]*(.*)$", re.S)


def rating(text: str) -> tuple[int, str] | None:
    """`5`, `5分 很满意`, `4星，师傅很专业` → (stars, comment)."""
    m = RATING.match(text)
    return (int(m.group(1)), m.group(2).strip()) if m else None
