"""Which catalog products a fault report names, typos and all."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from handlers.catalog_index import IndexedCatalog
from handlers.text import normalize

# A product is only offered to the owner at or above this score (0..100).
# Exact name/alias/category hits land at 80-100; a single-character typo in a
# 3-character term (水笼头 vs 水龙头) lands around 63-67; unrelated text
# stays below 55.  60 keeps the typo case and drops the noise.
PRODUCT_THRESHOLD = 60.0


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


# Characters owners type for one another (same sound or shape on the keyboard): 地版, 花晒, 淋雨房, 水笼头.
# Both the term and the text are folded, so a typo of one of these is an exact hit, even in two characters.
_CONFUSABLE = str.maketrans("版晒雨笼捅统琐汽气座厨", "板洒浴龙桶桶锁器器坐橱")
# A room name in front of a term says where, not what: 卫生间门 must not match 卫生间漏水 by its first 3 characters.
_PLACE = re.compile(r"^(?:卫生间|洗手间|浴室|厕所|厨房|卧室|客厅|阳台|书房)")


def _similarity(term: str, text: str) -> float:
    return similarity(term_forms(term), text, text.translate(_CONFUSABLE))


Forms = tuple[str, str, str]   # a term, with the characters owners confuse folded, without place words


def term_forms(term: str) -> Forms:
    return term, term.translate(_CONFUSABLE), _PLACE.sub("", term)


def similarity(forms: Forms, text: str, confused_text: str) -> float:
    """How well the term (as `term_forms` gives it) matches the text (`confused_text`: folded the same
    way); the forms are made once when a term is compared with many messages."""
    term, confused, cut = forms
    if term in text or confused in confused_text:
        return 100.0
    if len(cut) < 3:  # two characters with one wrong is a different word
        return 0.0
    if len(cut) > len(text):
        return fuzz.ratio(cut, text)
    return fuzz.partial_ratio(cut, text)


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


# Owners mix in English for the thing itself ("toilet漏水了").
_ENGLISH = {"toilet": "马桶", "faucet": "水龙头", "tap": "水龙头", "shower": "花洒", "door lock": "门锁",
            "smart lock": "智能门锁", "lock": "门锁", "water heater": "热水器", "heater": "热水器", "floor": "地板",
            "window": "窗户", "drain": "地漏", "cabinet": "橱柜", "wardrobe": "衣柜", "closet": "衣柜",
            "sink": "洗手台", "basin": "洗手台", "door": "门"}
_ENGLISH_RE = re.compile(r"(?<![a-z])(?:" + "|".join(sorted(_ENGLISH, key=len, reverse=True)) + r")(?![a-z])")
# "电热的那种 不是燃气": what the owner says it is not does not count for it.
_DENIED = re.compile(r"(?:不是|并非|不要)(?:那种)?[^\s,，。;；]{1,6}?(?:的|那种)?(?=[\s,，。;；]|$)")


def _qualifier_hit(item: CatalogItem, text: str) -> bool:
    """A word that tells items of one category apart (燃气 / 电 for a 热水器, 智能 for a 门锁) is in the text."""
    category = item.category.lower()
    for term in (item.name, *item.aliases):
        head, found, _ = term.lower().partition(category)
        if found and head and (len(head) >= 2 and head in text or head + category[0] in text):
            return True
    return False


def _longest_exact(item: CatalogItem, text: str) -> str:
    hits = [t.lower() for t in (item.name, *item.aliases) if len(t) >= 2 and _similarity(t.lower(), text) == 100.0]
    return max(hits, key=len, default="")


def match_products(text: str, catalog: Sequence[CatalogItem], limit: int = 3) -> tuple[ProductMatch, ...]:
    text = _ENGLISH_RE.sub(lambda m: _ENGLISH[m.group(0)], normalize(text).lower())
    text = _DENIED.sub(" ", text).strip()
    if not text:
        return ()
    if isinstance(catalog, IndexedCatalog):   # scores only the items that can win: the same answer
        return catalog.rank(text, limit)
    pool = catalog
    scored = [ProductMatch(item.sku, _item_score(item, text) + (3.0 if _qualifier_hit(item, text) else 0.0))
              for item in pool]
    plausible = [m for m in scored if m.score >= PRODUCT_THRESHOLD]
    plausible.sort(key=lambda m: -m.score)  # stable: catalog order breaks ties
    return tuple(_more_specific_first(plausible, pool, text)[:limit])


def _more_specific_first(ranked: list[ProductMatch], catalog: Sequence[CatalogItem], text: str) -> list[ProductMatch]:
    """"马桶盖" names the lid, though "马桶" is in it too: a longer exact name containing the best's goes first."""
    if len(ranked) < 2:
        return ranked
    items = {item.sku: item for item in catalog}
    best = _longest_exact(items[ranked[0].sku], text)
    if not best:
        return ranked
    for i, match in enumerate(ranked[1:], 1):
        longer = _longest_exact(items[match.sku], text)
        if best in longer and len(longer) > len(best):
            lifted = ProductMatch(match.sku, max(match.score, ranked[0].score + 0.1))
            return [lifted, *ranked[:i], *ranked[i + 1:]]
    return ranked
