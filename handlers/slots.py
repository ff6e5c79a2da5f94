"""Slots read out of a message before its intent: ticket numbers, phones, people, parts, periods, refs.

Each reader returns what it found and the text with it replaced by a placeholder (`#` a ticket
number, `%` a phone, `@` a technician), so the phrasings can speak of "派给@" and the words of a
name never count as the words of an intent.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.commands import number_pattern
from handlers.text import phone_spans

_REF_THIS = re.compile(r"这(?:一|个|张)?(?:单子|工单|单|活)|此单|这个(?=我|你|单)")
_REF_PREVIOUS = re.compile(r"上(?:一|个|一个)?(?:单子|工单|单)|前一单|刚才那单|刚那单|刚才那个单")
_PRIORITY_WORDS = {"urgent": ("紧急", "加急", "特急", "急单"), "high": ("高优先级", "高优", "调高", "提到高", "成高"),
                   "normal": ("普通", "一般", "正常"), "low": ("低优先级", "低", "不急")}
_BY = {"region": re.compile(r"区域|地区|片区|小区|[^\s]{1,3}区|region"), "product": re.compile(r"产品|品类|product")}
_QTY = r"(\d+|[一两二三四五六七八九十几]|半)"
_MEASURE = r"(?:根|个|只|条|套|片|米|支|块|颗|组|把|节|卷|盒)?"
_PART_NAME = r"([a-z]+-[a-z0-9]+|[\u4e00-\u9fff]{1,8}?)"
_PART_END = r"(?=$|和|跟|及|还有|、|,|，|\s|了|的|再|也|x|×|\*)"
_PARTS_AFTER = re.compile(rf"(?:换了|换上|换个|换|更换了?|用了|装了|加了|领|留|预留|配件[:：])\s*(?:新的?)?"
                          rf"{_QTY}?\s*{_MEASURE}\s*(?:新的?)?{_PART_NAME}{_PART_END}")
_PARTS_BEFORE = re.compile(rf"{_PART_NAME}(?:也|都)?换(?:了|成|上)")
_TIMES = re.compile(r"\s*(?:[x×*]\s*)?(\d{1,3})(?![\d栋号楼单元室米.])")
_CN_QTY = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "几": 1, "半": 1}
_NOT_PARTS = frozenset({"东西", "人", "个", "师傅", "时间", "新", "新的", "的", "一下", "掉", "好", "过", "没带"})
_MOVE = re.compile(r"(?:改到|改成|改约到?|换到|推迟到|延后到|挪到|调到|约到|换成)(.*)$")


@dataclass(frozen=True)
class Person:
    id: str
    name: str


def take_number(text: str, prefix: str) -> tuple[str | None, str]:
    m = number_pattern(prefix).search(text)
    if m is None:
        return None, text
    return m.group(0).upper(), text[:m.start()] + "#" + text[m.end():]


def take_phone(text: str) -> tuple[str | None, str]:
    spans = phone_spans(text)
    if not spans:
        return None, text
    start, end, phone = spans[0]
    return phone, text[:start] + "%" + text[end:]


_HONORIFICS = ("师傅", "师父")


def _forms(person: Person) -> set[str]:
    """How colleagues call someone: 王建国, 建国, 老王, 小王, 王师傅, 王工, 王师."""
    name = person.name.strip()
    surname = name[:2] if len(name) >= 4 else name[:1]
    given = name[len(surname):]
    forms = {name, f"老{surname}", f"小{surname}", f"{surname}师傅", f"{surname}工", f"{surname}师"}
    if len(given) >= 2:
        forms.add(given)
    return forms


def people_index(people: Sequence[Person]) -> dict[str, tuple[str, ...]]:
    """Every way of naming someone -> the ids it may mean (two 小李 mean two people)."""
    found: dict[str, list[str]] = {}
    for p in people:
        for form in _forms(p):
            found.setdefault(form.lower(), []).append(p.id)
        found.setdefault(p.id.lower(), []).append(p.id)
    return {k: tuple(v) for k, v in found.items()}


def take_technician(text: str, index: dict[str, tuple[str, ...]]) -> tuple[tuple[str, ...], str]:
    """The ids of the person named (several when the name fits more than one), and the text."""
    best: tuple[int, int, tuple[str, ...]] | None = None
    for form, ids in index.items():
        at = text.find(form)
        if at >= 0 and (best is None or len(form) > best[1] - best[0]):
            best = (at, at + len(form), ids)
    if best is None:
        return (), text
    start, end, ids = best
    if text.startswith(_HONORIFICS, end):   # 刘洋师傅: the whole name is the person, so 让@去 still reads
        end += 2
    return ids, text[:start] + "@" + text[end:]


def ref(text: str) -> str | None:
    if _REF_PREVIOUS.search(text):
        return "previous"
    return "this" if _REF_THIS.search(text) else None


def priority(text: str) -> str | None:
    for code, words in _PRIORITY_WORDS.items():
        if any(w in text for w in words):
            return code
    return None


def breakdown(text: str) -> str | None:
    for by, pattern in _BY.items():
        if pattern.search(text):
            return by
    return None


def _quantity(raw: str | None) -> int:
    if not raw:
        return 1
    return int(raw) if raw.isdigit() else _CN_QTY.get(raw, 1)


def parts(text: str) -> list[tuple[str, int]]:
    """Parts named as technicians name them: 换了根软管, 两个阀芯, 锁芯换了, 配件:阀芯x1."""
    found: list[tuple[str, int]] = []
    for m in _PARTS_AFTER.finditer(text):
        name = m.group(2).removeprefix("新").removesuffix("新")
        times = _TIMES.match(text, m.end())
        qty = int(times.group(1)) if times else _quantity(m.group(1))
        if name and name not in _NOT_PARTS and all(name != n for n, _ in found):
            found.append((name, qty))
    for m in _PARTS_BEFORE.finditer(text):
        name = re.sub(r"^(?:好了|搞定了?|修好了|完工|弄完了|ok|done)", "", m.group(1))
        if name and name not in _NOT_PARTS and all(name != n for n, _ in found):
            found.append((name, 1))
    for more in re.finditer(rf"(?:和|跟|及|还有|、)\s*{_QTY}?\s*{_MEASURE}\s*{_PART_NAME}{_PART_END}", text):
        if found and more.group(2) not in _NOT_PARTS and all(more.group(2) != n for n, _ in found):
            found.append((more.group(2), _quantity(more.group(1))))
    return found


def time_text(text: str) -> str:
    """Where a time is moved ("明天上午不行 改到后天下午"), only what follows the move is the new time."""
    m = _MOVE.search(text)
    return m.group(1) if m and m.group(1).strip() else text
