"""`match_products` over a large catalog: the answer of scoring every item, from the few that can win.

Scoring an item (handlers.extract.products) costs a fuzzy comparison per term; with 20,000 aliases that
is far too slow per message, and the everyday words (龙头, 热水器) are shared by hundreds of
items. So, per message: the pair index (handlers.catalog_index) drops the items that cannot
reach the threshold; exact hits come from one dictionary probe per substring of the message;
each remaining item gets an upper bound of its score from exact hits, term lengths and the
characters its name shares with the message (a common subsequence is never longer than
that); items are then scored exactly, best bound first, until no bound can beat the last
place. Same scores, same order, ties to catalog order, as the full scan.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.catalog_index import IndexedCatalog, PairIndex
from handlers.extract.products import (
    _CONFUSABLE,
    _PLACE,
    PRODUCT_THRESHOLD,
    CatalogItem,
    ProductMatch,
    _exact_weight,
    _item_score,
    _similarity,
)


def _fold(text: str) -> str:
    return text.lower().translate(_CONFUSABLE)


def _cap(length: int, shortened: bool) -> float:
    """The best fuzzy score of a term that is not in the text: one character short of it.
    A term cut by its room-name prefix was matched whole by then, so it has no cap."""
    return 100.0 if shortened else 200.0 * (length - 1) / (2 * length - 1)


def _length_bound(length: int, shortened: bool, size: int) -> float:
    """What a term's length alone allows against a text of `size` characters."""
    if length > size:  # ratio over the whole text
        return 200.0 * size / (length + size)
    return _cap(length, shortened)


@dataclass(frozen=True)
class _Fuzzy:
    """A term as the fuzzy comparison sees it (room prefix cut, lower case)."""

    length: int
    chars: frozenset[str]
    repeats: bool            # a repeated character: the shared-character bound does not hold
    shortened: bool

    @classmethod
    def of(cls, term: str) -> _Fuzzy | None:
        lowered = term.lower()
        cut = _PLACE.sub("", lowered)
        if len(cut) < 3:
            return None
        return cls(len(cut), frozenset(cut), len(set(cut)) < len(cut), cut != lowered)

    def bound(self, text_chars: frozenset[str], size: int) -> float:
        shared = self.length if self.repeats else len(self.chars & text_chars)
        if self.length > size:  # ratio over the whole text
            return 200.0 * min(shared, size) / (self.length + size)
        return min(_cap(self.length, self.shortened), 200.0 * shared / (self.length + shared) if shared else 0.0)



@dataclass(frozen=True)
class _Entry:
    position: int
    item: CatalogItem
    profile: tuple[tuple[int, bool], ...]   # (length, shortened) of the aliases that can score fuzzily
    name: _Fuzzy | None
    folded_name: str
    category: str


class ProductRanking:
    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self._entries = [self._entry(i, item) for i, item in enumerate(items)]
        self._index = PairIndex(((i.name, i.category, *i.aliases) for i in items), _fold)
        self._exact: dict[str, dict[int, float]] = {}   # folded term -> item position -> exact weight
        for position, item in enumerate(items):
            for term in (item.name, *item.aliases):
                if len(term) >= 2:
                    found = self._exact.setdefault(_fold(term), {})
                    found[position] = max(found.get(position, 0.0), _exact_weight(term, term == item.name))
            if len(item.category) >= 2:
                found = self._exact.setdefault(_fold(item.category), {})
                found[position] = max(found.get(position, 0.0), 85.0)
        self._longest = max((len(t) for t in self._exact), default=2)

    @staticmethod
    def _entry(position: int, item: CatalogItem) -> _Entry:
        terms = [f for t in item.aliases if len(t) >= 2 and (f := _Fuzzy.of(t))]
        profile = tuple(sorted({(f.length, f.shortened) for f in terms}))
        return _Entry(position, item, profile, _Fuzzy.of(item.name), _fold(item.name), item.category.lower())

    def rank(self, text: str, limit: int) -> tuple[ProductMatch, ...]:
        """`text` normalized and lower-cased, as match_products passes it."""
        bounds, exact, categories = self._bounds(text)
        bounds.sort(key=lambda b: (-b[0], b[1].position))
        found: list[tuple[float, int, str]] = []
        for bound, entry, fuzzy in bounds:
            if bound < PRODUCT_THRESHOLD:
                break
            if len(found) >= limit:
                last = found[limit - 1]
                if bound < -last[0] or (bound == -last[0] and entry.position > last[1]):
                    break
            score = self._score(entry, text, exact.get(entry.position, 0.0), categories[entry.category], fuzzy)
            if score >= PRODUCT_THRESHOLD:
                insort(found, (-score, entry.position, entry.item.sku))
        return tuple(ProductMatch(sku, -score) for score, _, sku in found[:limit])

    @staticmethod
    def _score(entry: _Entry, text: str, exact: float, cat: float, fuzzy: float) -> float:
        """The item's score as handlers.extract.products computes it; the shortcut applies when an exact hit
        outweighs anything a fuzzy term could reach, so the best term is known without comparing."""
        base = max(exact, 85.0 if cat == 100.0 else cat)
        if base < fuzzy:
            return _item_score(entry.item, text)
        support = (_similarity(entry.item.name.lower(), text) + cat) / 2
        return round(0.9 * base + 0.1 * support, 1)

    def _exact_hits(self, folded: str) -> dict[int, float]:
        best: dict[int, float] = {}
        for start in range(len(folded)):
            for end in range(start + 2, min(start + self._longest, len(folded)) + 1):
                for position, weight in self._exact.get(folded[start:end], {}).items():
                    if weight > best.get(position, 0.0):
                        best[position] = weight
        return best

    def _bounds(self, text: str) -> tuple[list[tuple[float, _Entry, float]], dict[int, float], dict[str, float]]:
        folded = _fold(text)
        exact = self._exact_hits(folded)
        chars, size = frozenset(text), len(text)
        categories: dict[str, float] = {}
        profiles: dict[tuple[tuple[int, bool], ...], float] = {}
        bounds = []
        for position in self._index.candidates(text):
            entry = self._entries[position]
            fuzzy = profiles.get(entry.profile)
            if fuzzy is None:
                fuzzy = profiles[entry.profile] = max((_length_bound(m, cut, size) for m, cut in entry.profile),
                                                      default=0.0)
            cat = categories.get(entry.category)
            if cat is None:
                cat = categories[entry.category] = (
                    _similarity(entry.category, text) if len(entry.category) >= 2 else 0.0)
            base = max(exact.get(position, 0.0), 85.0 if cat == 100.0 else cat)
            name = 100.0 if entry.folded_name in folded else entry.name.bound(chars, size) if entry.name else 0.0
            fuzzy = max(fuzzy, name if name < 100.0 else 0.0)   # an exact name is in `exact` already
            base = max(base, fuzzy)
            bounds.append((round(0.9 * base + 0.1 * (name + cat) / 2 + 1e-6, 1), entry, fuzzy))
        return bounds, exact, categories


def indexed_catalog(items: Sequence[CatalogItem]) -> IndexedCatalog[CatalogItem]:
    """The catalog as match_products takes it, with the ranking that scores only items that can win."""
    ranking = ProductRanking(items)
    return IndexedCatalog(items, ranking._index.candidates, ranking.rank)
