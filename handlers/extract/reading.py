"""Turn a free-form Chinese fault report into structured facts.

Owners type things like ``厨房水龙头漏水了，3栋2单元501，电话13800138000``.
Everything here is a pure function of its inputs so the chat flow can call it
on every message and tests can pin behaviour with plain tables. The parts live
apart: handlers.text (width, phones), address (where), products (what), urgency
(hazards), when (dates and times); this module puts them together, keeps the later
of two values when the owner takes one back ("501 哦不对 502"), and reads yes/no replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from handlers.catalog_index import IndexedCatalog
from handlers.extract.address import find_address, find_community
from handlers.extract.products import CatalogItem, ProductMatch, match_products
from handlers.extract.urgency import is_urgent
from handlers.smalltalk import kind as courtesy
from handlers.text import normalize, phone_spans


@dataclass(frozen=True)
class Extracted:
    text: str
    phone: str | None
    community: str | None
    building: str | None
    unit: str | None
    room: str | None
    products: tuple[ProductMatch, ...]
    category: str | None
    urgent: bool
    ticket_type: str | None
    description: str
    bare_room: str | None = None   # "502" alone: a room when a room is what is being talked about
    retracted: bool = False        # the owner took something back ("哦不对", "不是…是…")


_COMPLAINT = re.compile(r"投诉|差评|举报|态度差|态度恶劣|不满意|没人管|没人理|一直没来|没人来")
_RETURN = re.compile(r"退货|换货|退换|退款|退掉|想退|要退")
_REPAIR = re.compile(
    r"坏|漏|渗|滴水|修(?!改)|故障|堵|松|裂|响|不[出动紧严热亮转通灵]|失灵|卡住|卡死|打不开|"
    r"关不上|锁不上|开不了|[打点]不着|没反应|没电|脱落|掉了|变形|起鼓|鼓包|翘|歪|发霉|生锈|"
    r"断了|报错|不工作|不能用|用不了|破|冲不下去|反味|返臭|异味|煤气味|燃气味|水压小|出水小|"
    r"跑水|爆管|冒烟|跳闸")
_INSTALL = re.compile(r"^(?:请|麻烦|帮我|帮忙|要|想)?装|安装|装(?:一下|个|一个|上|好)|(?:帮忙|上门|来|要|想|新)装|测量|量尺")


def _ticket_type(text: str) -> str | None:
    # A complaint or a return usually also names the fault, so they go first;
    # "安装后漏水" is a repair, so fault words beat install words.
    for kind, pattern in (("complaint", _COMPLAINT), ("return", _RETURN),
                          ("repair", _REPAIR), ("install", _INSTALL)):
        if pattern.search(text):
            return kind
    return None


_GAP = "\x00"
_LABEL = re.compile(
    r"(?:联系)?(?:电话号码|电话|手机号码|手机号|手机|联系方式|号码|回电|回拨|打给我|tel|地址|住址|"
    r"我家住在|我家住|家住在|家住|我住在|我住|住在|我家在|我在)\s*(?:是)?\s*[:：]?\s*(?=\x00)",
    re.IGNORECASE)


_GAP_OF = re.compile(rf"(?<={_GAP})\s*的")
_GAPS = re.compile(rf"(?:[^\w{_GAP}]*{_GAP}+[^\w{_GAP}]*)+")
_ENDS = re.compile(r"^[\W_]+|[\W_]+$")
# A report passed on by the desk: "客户来电 186… 说地板起鼓了" describes 地板起鼓了 (说明书 stays whole).
_RELAYED = re.compile(r"^(?:业主|客户|他|她)?(?:反映说?|说(?!明|法))\s*")


def _describe(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _GAP * (end - start)
    rest = _LABEL.sub("", "".join(chars))
    rest = _GAP_OF.sub("", rest)  # "501室的热水器" -> "热水器"
    rest = _GAPS.sub("，", rest)
    return _without_courtesy(_RELAYED.sub("", _ENDS.sub("", rest)))


_BETWEEN = r"，,。.!！?？~\s"   # what separates the clauses of a message
_FIRST_CLAUSE = re.compile(rf"^([^{_BETWEEN}]+)[{_BETWEEN}]+")
_LAST_CLAUSE = re.compile(rf"[{_BETWEEN}]+([^{_BETWEEN}]+)[\W_]*$")


def _without_courtesy(text: str) -> str:
    """"你好，马桶堵了，谢谢": the greeting and the thanks around a fault are not part of its description."""
    while (first := _FIRST_CLAUSE.match(text)) and courtesy(first.group(1)):
        text = text[first.end():]
    while (last := _LAST_CLAUSE.search(text)) and courtesy(last.group(1)):
        text = text[:last.start()]
    return text


# "501 哦不对 502", "电话打错了 应该是139…": what follows the last of these replaces what came before.
_TAKE_BACK = re.compile(r"(?:(?:[哦噢喔啊呃额]\s*|(?<![^\s,，。.!！]))(?:不对不对|不对|错了)|说错了|打错了|写错了|搞错了|讲错了|"
                        r"更正一下|更正|纠正一下|sorry)[\s,，。.!！]*(?:应该|应当)?(?:是)?")
# "不是马桶 是洗手池": the part after 不是 is dropped, not kept as a fact.
_NOT_BUT = re.compile(r"不是(?P<no>[^,，。\s]{1,12}?)[\s,，。]*(?:而是|是|应该是)(?=\S)")
_BARE_ROOM = re.compile(r"(?<![\d-])(\d{3,4})(?![\d年元块个天米次分点岁月日号%:.])")


def taken_back(text: str) -> tuple[str, str] | None:
    """(what stands before the take-back, what replaces it), or None when nothing was taken back."""
    m = _NOT_BUT.search(text)
    if m:
        return text[:m.start()], text[m.end():]
    found = list(_TAKE_BACK.finditer(text))
    if found and found[-1].end() < len(text.rstrip()):
        last = found[-1]
        return text[:last.start()], text[last.end():]
    return None


def extract(text: str, catalog: Sequence[CatalogItem], communities: Sequence[str] = ()) -> Extracted:
    norm = normalize(text)
    split = taken_back(norm)
    if split is None:
        return _read(norm, catalog, communities)
    # The part before may hold a take-back of its own ("501 哦不对 502 电话… 说错了 …").
    before, after = extract(split[0], catalog, communities), _read(split[1], catalog, communities)
    return _later_wins(norm, before, after)


def _later_wins(norm: str, before: Extracted, after: Extracted) -> Extracted:
    def pick(field: str) -> object:
        return getattr(after, field) or getattr(before, field)
    # An address is one fact: a new room keeps the building and community said before.
    return Extracted(
        text=norm, phone=after.phone or before.phone, community=after.community or before.community,
        building=after.building or before.building, unit=after.unit or before.unit,
        room=after.room or (after.bare_room if before.room or before.building else None) or before.room,
        products=after.products or before.products, category=after.category or before.category,
        urgent=before.urgent or after.urgent,
        ticket_type=_ticket_type(f"{before.description} {after.description}"),
        description="，".join(d for d in (before.description, after.description) if d) if not after.products
        else after.description or before.description,
        bare_room=after.bare_room or (None if after.room else before.bare_room), retracted=True)


def _read(norm: str, catalog: Sequence[CatalogItem], communities: Sequence[str]) -> Extracted:
    phones = phone_spans(norm)
    spans = [(s, e) for s, e, _ in phones]
    # Blank phone digits first so they can never be read as a room number.
    masked = norm
    for start, end in spans:
        masked = masked[:start] + _GAP * (end - start) + masked[end:]
    building, unit, room, addr_span = find_address(masked)
    community, community_span = find_community(masked, communities)
    spans += [span for span in (addr_span, community_span) if span]
    description = _describe(norm, spans)
    # Category words are scored as part of every item, so a bare 热水器 already
    # yields that category's items; the best one's category is the answer.
    products = match_products(description, catalog)
    category = _category(catalog, products[0].sku) if products else None
    bare = _BARE_ROOM.findall(masked) if not room else []
    return Extracted(
        text=norm, phone=phones[0][2] if phones else None, community=community,
        building=building, unit=unit, room=room, products=products, category=category,
        urgent=is_urgent(description), ticket_type=_ticket_type(description),
        description=description, bare_room=bare[0] if len(bare) == 1 else None)


def _category(catalog: Sequence[CatalogItem], sku: str) -> str | None:
    if isinstance(catalog, IndexedCatalog):
        item = catalog.first(sku)
        return item.category if item else None
    return next((item.category for item in catalog if item.sku == sku), None)


_YES = frozenset({"确认", "对", "对的", "是", "是的", "好", "好的", "可以", "没问题", "ok", "okay",
                  "嗯", "确定", "行", "提交", "确认提交", "没错", "正确", "就是这个", "是这个",
                  "yes", "y", "可以的", "行的", "没问题的", "确认无误", "同意"})
_NO = frozenset({"不", "不对", "不是", "不是这个", "错了", "错", "取消", "否", "重新", "修改", "不要",
                 "不用", "不行", "不好", "no", "n", "算了", "不确认", "不可以", "不同意"})
# Cancel-style openings stay a "no" whatever follows (取消报修, 不报了, 重新填).
_NO_PREFIX = ("取消", "算了", "不要", "不用", "不需要", "不报", "不修", "重新", "修改")
_PARTICLES = "啊呀吧哦噢呢啦了哈嘛"
# Courtesy around an answer ("可以，谢谢") is neither a yes nor a no.
_POLITE = frozenset({"谢谢", "谢谢你", "谢谢师傅", "麻烦", "麻烦你", "辛苦", "辛苦你"})
_NON_WORD = re.compile(r"[\W_]+")
_YES_EMOJI = str.maketrans({"👍": " 好 ", "👌": " 好 ", "✅": " 好 "})


def _reply_parts(text: str) -> list[str]:
    parts = _NON_WORD.split(normalize(text).translate(_YES_EMOJI).lower())
    return [p for p in parts if p and p not in _POLITE and p.rstrip(_PARTICLES) not in _POLITE]


def _forms(part: str) -> set[str]:
    """The part as typed, without trailing particles (好的呀), and de-doubled (嗯嗯, 对对对)."""
    forms = {part, part.rstrip(_PARTICLES)}
    return forms | {f[0] for f in forms if f and len(set(f)) == 1}


def is_affirmative(text: str) -> bool:
    parts = _reply_parts(text)
    return bool(parts) and all(_forms(p) & _YES for p in parts)


def _is_no(part: str) -> bool:
    return bool(_forms(part) & _NO) or part.startswith(_NO_PREFIX)


def is_negative(text: str) -> bool:
    """A plain no or cancel; a correction with new facts ("不对，是502") is not."""
    parts = _reply_parts(text)
    return bool(parts) and all(_is_no(p) for p in parts)
