"""Turn a free-form Chinese fault report into structured facts.

Owners type things like ``厨房水龙头漏水了，3栋2单元501，电话13800138000``.
Everything here is a pure function of its inputs so the chat flow can call it
on every message and tests can pin behaviour with plain tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cn2an
import zhconv
from rapidfuzz import fuzz

# A product is only offered to the owner at or above this score (0..100).
# Exact name/alias/category hits land at 80-100; a single-character typo in a
# 3-character term (水笼头 vs 水龙头) lands around 63-67; unrelated text
# stays below 55.  60 keeps the typo case and drops the noise.
PRODUCT_THRESHOLD = 60.0
# A community counts when mentioned exactly, by a prefix (翠湖 -> 翠湖花园),
# or with one wrong character in a 4-character name (75).
COMMUNITY_THRESHOLD = 75.0


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    category: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProductMatch:
    sku: str
    score: float


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


# U+FF01..U+FF5E mirror ASCII 0x21..0x7E; U+3000 is the ideographic space.
# Chinese sentence punctuation (，！？；：（）) is left alone: it is what owners
# type on purpose and it keeps the description readable.
_KEEP_FULL_WIDTH = set("，！？；：（）")
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP_FULL_WIDTH}
_WIDTH[0x3000] = 0x20


def normalize(text: str) -> str:
    """Half-width ASCII, simplified characters, single spaces, no padding."""
    text = text.translate(_WIDTH)
    text = zhconv.convert(text, "zh-cn")
    return re.sub(r"\s+", " ", text).strip()


# 3-4-4 grouping is how people actually space numbers; the digit guards reject
# longer runs (12 digits, ID numbers) instead of cutting a phone out of them.
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def _phone_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "".join(m.groups())) for m in _PHONE.finditer(text)]


def find_phone(text: str) -> str | None:
    spans = _phone_spans(text.translate(_WIDTH))
    return spans[0][2] if spans else None


_CN_DIGIT = "零〇一二两三四五六七八九幺"
_CN_NUM = _CN_DIGIT + "十百千"
_DIGIT_VALUE = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0", "两": "2", "幺": "1"}

_BNUM = rf"\d{{1,3}}|[A-Za-z]|[{_CN_NUM}]{{1,4}}"
_UNUM = rf"\d{{1,2}}|[{_CN_NUM}]{{1,3}}"
# A number followed by 年/元/... is a year or a price, not a room.
_ROOM = rf"\d{{3,4}}(?!\d|\s*[年元块个天米次分点岁月日%])|[{_CN_NUM}]{{3,7}}"
_ROOM_TAIL = rf"(?:\s*-?\s*(?P<r>{_ROOM})\s*(?:室|房间|房|号)?)?"
# A unit is 单元, or in some cities 门 / 梯 ("2门501", "2梯"); 门锁 / 门窗 after a digit stay products.
_UNIT_WORD = r"(?:单元|[门梯](?![锁窗框把铃禁]))"
# Tried in order: the most specific shape wins.
_ADDRESS_PATTERNS = (
    re.compile(rf"(?<![A-Za-z\d])(?P<b>\d{{1,3}}|[A-Za-z])\s*(?:-|#|栋|号楼|幢|座)"
               rf"\s*(?P<u>\d{{1,2}})\s*-\s*(?P<r>\d{{3,4}})(?!\d)"),
    re.compile(r"(?<![A-Za-z\d/])(?P<b>\d{1,3}|[A-Za-z])\s*/\s*(?P<u>\d{1,2})\s*/\s*(?P<r>\d{3,4})(?![\d/])"),
    re.compile(rf"(?<![A-Za-z\d])(?P<b>{_BNUM})\s*"
               rf"(?:栋|号楼|幢|座|#|号(?=\s*(?:{_UNUM})\s*{_UNIT_WORD}))"
               rf"(?:\s*(?P<u>{_UNUM})\s*{_UNIT_WORD})?{_ROOM_TAIL}"),
    # "5楼501": 5 is the floor of room 501; "12楼301" names building 12.
    re.compile(r"(?<![A-Za-z\d])(?P<f>\d{1,2})\s*楼\s*(?P<r>\d{3,4})(?!\d)"),
    re.compile(rf"(?<![\d])(?P<u>{_UNUM})\s*{_UNIT_WORD}{_ROOM_TAIL}"),
    re.compile(r"(?<![\d-])(?P<r>\d{3,4})\s*(?:室|房间|房)"),
)


def _to_arabic(token: str | None, keep_zeros: bool = False) -> str | None:
    """'三' -> '3', '五零一' -> '501', '十二' -> '12', 'b' -> 'B'."""
    if not token:
        return None
    if token.isascii():
        if token.isdigit():
            return token if keep_zeros else str(int(token))
        return token.upper()
    if all(c in _DIGIT_VALUE for c in token):
        digits = "".join(_DIGIT_VALUE[c] for c in token)
        return digits if keep_zeros else str(int(digits))
    try:
        return str(int(cn2an.cn2an(token.replace("幺", "一"), "normal")))
    except (ValueError, KeyError):
        return None


def _find_address(text: str) -> tuple[str | None, str | None, str | None, tuple[int, int] | None]:
    for pattern in _ADDRESS_PATTERNS:
        m = pattern.search(text)
        if m:
            groups = m.groupdict()
            floor = groups.get("f")
            if floor and not groups["r"].startswith(floor):
                groups["b"] = floor
            return (_to_arabic(groups.get("b")), _to_arabic(groups.get("u")),
                    _to_arabic(groups.get("r"), keep_zeros=True), m.span())
    return None, None, None, None


def _community_hit(name: str, text: str) -> tuple[float, tuple[int, int]] | None:
    at = text.find(name)
    if at >= 0:
        return 100.0, (at, at + len(name))
    fuzzy: tuple[float, tuple[int, int]] | None = None
    if len(name) >= 3 and len(text) >= len(name):
        hit = fuzz.partial_ratio_alignment(name, text)
        if hit is not None and hit.score >= COMMUNITY_THRESHOLD:
            fuzzy = hit.score, (hit.dest_start, hit.dest_end)
    # Owners drop suffixes like 花园/壹号; a prefix of at least half the name
    # (and two characters) is specific enough.
    for size in range(len(name) - 1, max(2, (len(name) + 1) // 2) - 1, -1):
        at = text.find(name[:size])
        if at >= 0:
            # A fuzzy hit over the same place (滨江一号) covers more of the
            # mention, which matters for cutting it out of the description.
            span = fuzzy[1] if fuzzy and fuzzy[1][0] <= at < fuzzy[1][1] else (at, at + size)
            return 80.0 + 20.0 * size / len(name), span
    return fuzzy


def _find_community(text: str, communities: Iterable[str]) -> tuple[str | None, tuple[int, int] | None]:
    best: tuple[float, str, tuple[int, int]] | None = None
    for name in communities:
        # "未来科技城·云栖苑": owners name either part, so each is tried on its own.
        for part in dict.fromkeys((name, *re.split(r"[·・\s]+", name))):
            hit = _community_hit(part, text) if len(part) >= 2 else None
            if hit and (best is None or hit[0] > best[0]):
                best = (hit[0], name, hit[1])
    return (best[1], best[2]) if best else (None, None)


# Characters owners type for one another (same sound or shape on the keyboard): 地版, 花晒, 淋雨房, 水笼头.
# Both the term and the text are folded, so a typo of one of these is an exact hit, even in two characters.
_CONFUSABLE = str.maketrans("版晒雨笼捅琐汽气座厨", "板洒浴龙桶锁器器坐橱")
# A room name in front of a term says where, not what: 卫生间门 must not match 卫生间漏水 by its first 3 characters.
_PLACE = re.compile(r"^(?:卫生间|洗手间|浴室|厕所|厨房|卧室|客厅|阳台|书房)")


def _similarity(term: str, text: str) -> float:
    if term in text or term.translate(_CONFUSABLE) in text.translate(_CONFUSABLE):
        return 100.0
    term = _PLACE.sub("", term)
    if len(term) < 3:  # two characters with one wrong is a different word
        return 0.0
    if len(term) > len(text):
        return fuzz.ratio(term, text)
    return fuzz.partial_ratio(term, text)


def _exact_weight(term: str, is_name: bool) -> float:
    # Longer exact hits are more specific, so they should outrank short ones.
    return 100.0 if is_name else min(100.0, 88.0 + 3.0 * len(term))


def _item_score(item: CatalogItem, text: str) -> float:
    base = 0.0
    for term in (item.name, *item.aliases):
        sim = _similarity(term.lower(), text) if len(term) >= 2 else 0.0
        base = max(base, _exact_weight(term, term == item.name) if sim == 100.0 else sim)
    category = item.category.lower()
    cat_sim = _similarity(category, text) if len(category) >= 2 else 0.0
    base = max(base, 85.0 if cat_sim == 100.0 else cat_sim)
    # Items tie on a shared alias (龙头, 玻璃门); how well the full name fits
    # (厨房 vs 面盆) and whether the category is named too (淋浴房玻璃门) break it.
    support = (_similarity(item.name.lower(), text) + cat_sim) / 2
    return round(0.9 * base + 0.1 * support, 1)


def match_products(text: str, catalog: Sequence[CatalogItem], limit: int = 3) -> tuple[ProductMatch, ...]:
    text = normalize(text).lower()
    if not text:
        return ()
    scored = [ProductMatch(item.sku, _item_score(item, text)) for item in catalog]
    plausible = [m for m in scored if m.score >= PRODUCT_THRESHOLD]
    plausible.sort(key=lambda m: -m.score)  # stable: catalog order breaks ties
    return tuple(plausible[:limit])


# "打不着火" is a heater that will not light, not a fire.
_NOT_URGENT = re.compile(r"不(?:太|是很|用|必)?(?:着)?急|不紧急|不赶时间|没那么急|[打点]不着火")
_URGENT = re.compile(
    r"紧急|急|马上|尽快|赶紧|立刻|立即|严重|水淹|淹了|跑水|爆管|爆裂|喷水|止不住|关不住|"
    r"着火|起火|冒烟|漏电|火花|煤气味|燃气味|打不开门|开不了门|进不了门|进不去|锁在外面|反锁")
_COMPLAINT = re.compile(r"投诉|差评|举报|态度差|态度恶劣|不满意|没人管|没人理|一直没来|没人来")
_RETURN = re.compile(r"退货|换货|退换|退款|退掉|想退|要退")
_REPAIR = re.compile(
    r"坏|漏|渗|滴水|修(?!改)|故障|堵|松|裂|响|不[出动紧严热亮转通灵]|失灵|卡住|卡死|打不开|"
    r"关不上|锁不上|开不了|[打点]不着|没反应|没电|脱落|掉了|变形|起鼓|鼓包|翘|歪|发霉|生锈|"
    r"断了|报错|不工作|不能用|用不了|破|冲不下去|反味|返臭|异味|煤气味|燃气味|水压小|出水小|"
    r"跑水|爆管|冒烟|跳闸")
_INSTALL = re.compile(r"安装|装(?:一下|个|一个|上|好)|(?:帮忙|上门|来|要|想|新)装|测量|量尺")


def _is_urgent(text: str) -> bool:
    return bool(_URGENT.search(_NOT_URGENT.sub("", text)))


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


def _describe(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _GAP * (end - start)
    rest = _LABEL.sub("", "".join(chars))
    rest = re.sub(rf"(?<={_GAP})\s*的", "", rest)  # "501室的热水器" -> "热水器"
    rest = re.sub(rf"(?:[^\w{_GAP}]*{_GAP}+[^\w{_GAP}]*)+", "，", rest)
    return re.sub(r"^[\W_]+|[\W_]+$", "", rest)


def extract(text: str, catalog: Sequence[CatalogItem], communities: Sequence[str] = ()) -> Extracted:
    norm = normalize(text)
    phones = _phone_spans(norm)
    spans = [(s, e) for s, e, _ in phones]
    # Blank phone digits first so they can never be read as a room number.
    masked = "".join(_GAP if any(s <= i < e for s, e in spans) else c for i, c in enumerate(norm))
    building, unit, room, addr_span = _find_address(masked)
    community, community_span = _find_community(masked, communities)
    spans += [span for span in (addr_span, community_span) if span]
    description = _describe(norm, spans)
    # Category words are scored as part of every item, so a bare 热水器 already
    # yields that category's items; the best one's category is the answer.
    products = match_products(description, catalog)
    best = products[0].sku if products else None
    category = next((item.category for item in catalog if item.sku == best), None)
    return Extracted(
        text=norm, phone=phones[0][2] if phones else None, community=community,
        building=building, unit=unit, room=room, products=products, category=category,
        urgent=_is_urgent(description), ticket_type=_ticket_type(description),
        description=description)


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
_YES_EMOJI = str.maketrans({"👍": " 好 ", "👌": " 好 ", "✅": " 好 "})


def _reply_parts(text: str) -> list[str]:
    parts = re.split(r"[\W_]+", normalize(text).translate(_YES_EMOJI).lower())
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
