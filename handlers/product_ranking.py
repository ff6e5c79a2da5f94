"""`match_products` over a large catalog: the answer of scoring every item, from the few that can win.

Scoring an item (handlers.extract.products) costs a fuzzy comparison per term; with 20,000 aliases that
is far too slow per message, and the everyday words (龙头, 热水器) are shared by hundreds of
items. So, per message: the pair index (handlers.catalog_index) drops the items that cannot
reach the threshold; exact hits come from one dictionary probe per substring of the message;
each remaining item gets an upper bound of its score from exact hits, term lengths and the
characters its name shares with the message (a common subsequence is never longer than
that); items are then scored exactly, best bound first, until no bound can beat the last
place. The qualifier bonus (燃气 for a 热水器) is found by the same kind of probe, and the lift of a more
specific item (马桶盖 over 马桶) is looked for only among items with a longer exact term. Same scores,
same order, ties to catalog order, as the full scan.
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
    terms: tuple[tuple[str, str, str], ...]   # (lower, folded, room prefix cut) of the name and aliases


def _add(table: dict[str, dict[int, float]], key: str, position: int, weight: float = 1.0) -> None:
    found = table.setdefault(key, {})
    found[position] = max(found.get(position, 0.0), weight)


def _probe(table: dict[str, dict[int, float]], text: str, longest: int) -> dict[str, dict[int, float]]:
    """The entries of `table` whose key (two characters or more) is in `text`, one probe per substring."""
    return {key: table[key] for start in range(len(text))
            for end in range(start + 2, min(start + longest, len(text)) + 1) if (key := text[start:end]) in table}


def _best(hits: dict[str, dict[int, float]]) -> dict[int, float]:
    best: dict[int, float] = {}
    for found in hits.values():
        for position, weight in found.items():
            if weight > best.get(position, 0.0):
                best[position] = weight
    return best


@dataclass(frozen=True)
class _Reading:
    """What one message hits, probed once and shared by the ranking and the lift."""

    text: str
    folded: str
    exact: dict[str, dict[int, float]]      # folded term -> item position -> exact weight
    weights: dict[int, float]               # item position -> best exact weight
    qualified: frozenset[int]               # items with a qualifier word in the text (+3)


class ProductRanking:
    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self._entries = [self._entry(i, item) for i, item in enumerate(items)]
        self._skus = {e.item.sku: e for e in self._entries}   # the last of a repeated SKU, as the scan keeps it
        self._index = PairIndex(((i.name, i.category, *i.aliases) for i in items), _fold)
        self._exact: dict[str, dict[int, float]] = {}       # folded term -> item position -> exact weight
        self._cut: dict[str, dict[int, float]] = {}         # a term without its room prefix -> items
        self._qualifiers: dict[str, dict[int, float]] = {}  # what _qualifier_hit looks for -> items
        for position, item in enumerate(items):
            self._index_item(position, item)
        self._longest = max((len(t) for table in (self._exact, self._cut, self._qualifiers) for t in table),
                            default=2)

    def _index_item(self, position: int, item: CatalogItem) -> None:
        category = item.category.lower()
        for term in (item.name, *item.aliases):
            if len(term) >= 2:
                _add(self._exact, _fold(term), position, _exact_weight(term, term == item.name))
                if len(cut := _PLACE.sub("", term.lower())) >= 3 and cut != term.lower():
                    _add(self._cut, cut, position)
            head, found, _ = term.lower().partition(category)
            if found and head:
                for word in ((head, head + category[0]) if len(head) >= 2 else (head + category[0],)):
                    _add(self._qualifiers, word, position)
        if len(item.category) >= 2:
            _add(self._exact, _fold(item.category), position, 85.0)

    @staticmethod
    def _entry(position: int, item: CatalogItem) -> _Entry:
        terms = [f for t in item.aliases if len(t) >= 2 and (f := _Fuzzy.of(t))]
        profile = tuple(sorted({(f.length, f.shortened) for f in terms}))
        words = tuple((t.lower(), _fold(t), _PLACE.sub("", t.lower()))
                      for t in (item.name, *item.aliases) if len(t) >= 2)
        return _Entry(position, item, profile, _Fuzzy.of(item.name), _fold(item.name), item.category.lower(), words)

    def rank(self, text: str, limit: int) -> tuple[ProductMatch, ...]:
        """What match_products returns for `text` (normalized and lower-cased, as it passes it)."""
        reading = self._read(text)
        ranked = self._top(reading, max(limit, 2))
        lifted = self._lifted(reading, ranked) if len(ranked) >= 2 else None
        if lifted is None:
            return ranked[:limit]
        rest = tuple(m for m in ranked if m.sku != lifted.sku)
        return (ProductMatch(lifted.sku, max(lifted.score, ranked[0].score + 0.1)), *rest)[:limit]

    def _read(self, text: str) -> _Reading:
        folded = _fold(text)
        exact = _probe(self._exact, folded, self._longest)
        qualified = frozenset(p for found in _probe(self._qualifiers, text, self._longest).values() for p in found)
        return _Reading(text, folded, exact, _best(exact), qualified)

    def _top(self, reading: _Reading, limit: int, among: set[int] | None = None) -> tuple[ProductMatch, ...]:
        """The `limit` best scores, best bound first, until no bound can beat the last place."""
        bounds, categories = self._bounds(reading, among)
        bounds.sort(key=lambda b: (-b[0], b[1].position))
        found: list[tuple[float, int, str]] = []
        for bound, entry, fuzzy in bounds:
            if bound < PRODUCT_THRESHOLD:
                break
            if len(found) >= limit:
                last = found[limit - 1]
                if bound < -last[0] or (bound == -last[0] and entry.position > last[1]):
                    break
            score = self._score(entry, reading.text, reading.weights.get(entry.position, 0.0),
                                categories[entry.category], fuzzy)
            score += 3.0 if entry.position in reading.qualified else 0.0
            if score >= PRODUCT_THRESHOLD:
                insort(found, (-score, entry.position, entry.item.sku))
        return tuple(ProductMatch(sku, -score) for score, _, sku in found[:limit])

    def _lifted(self, reading: _Reading, ranked: tuple[ProductMatch, ...]) -> ProductMatch | None:
        """The best-ranked item whose longest exact term holds the first item's and is longer (马桶盖 over
        马桶), as products._more_specific_first finds it; only items with such a term can be it."""
        best = self._longest_exact(self._skus[ranked[0].sku], reading)
        if not best:
            return None
        folded = _fold(best)
        maybe = {p for key, found in reading.exact.items() if len(key) > len(best) and folded in key for p in found}
        maybe |= {p for found in _probe(self._cut, reading.text, self._longest).values() for p in found}
        among = {p for p in maybe if best in (longer := self._longest_exact(self._entries[p], reading))
                 and len(longer) > len(best)}
        top = self._top(reading, 1, among) if among else ()
        return top[0] if top else None

    @staticmethod
    def _score(entry: _Entry, text: str, exact: float, cat: float, fuzzy: float) -> float:
        """The item's score as handlers.extract.products computes it; the shortcut applies when an exact hit
        outweighs anything a fuzzy term could reach, so the best term is known without comparing."""
        base = max(exact, 85.0 if cat == 100.0 else cat)
        if base < fuzzy:
            return _item_score(entry.item, text)
        support = (_similarity(entry.item.name.lower(), text) + cat) / 2
        return round(0.9 * base + 0.1 * support, 1)

    @staticmethod
    def _longest_exact(entry: _Entry, reading: _Reading) -> str:
        """products._longest_exact without the fuzzy comparisons: a term scores 100 when it is in the text
        (folded), or when its room-prefix-cut form of three characters or more is."""
        hits = [lower for lower, folded, cut in entry.terms
                if folded in reading.folded or (len(cut) >= 3 and cut in reading.text)]
        return max(hits, key=len, default="")

    def _bounds(self, reading: _Reading, among: set[int] | None) -> tuple[list[tuple[float, _Entry, float]],
                                                                           dict[str, float]]:
        text, chars, size = reading.text, frozenset(reading.text), len(reading.text)
        categories: dict[str, float] = {}
        profiles: dict[tuple[tuple[int, bool], ...], float] = {}
        bounds = []
        for position in self._index.candidates(text) if among is None else sorted(among):
            entry = self._entries[position]
            fuzzy = profiles.get(entry.profile)
            if fuzzy is None:
                fuzzy = profiles[entry.profile] = max((_length_bound(m, cut, size) for m, cut in entry.profile),
                                                      default=0.0)
            cat = categories.get(entry.category)
            if cat is None:
                cat = categories[entry.category] = (
                    _similarity(entry.category, text) if len(entry.category) >= 2 else 0.0)
            base = max(reading.weights.get(position, 0.0), 85.0 if cat == 100.0 else cat)
            name = 100.0 if entry.folded_name in reading.folded else entry.name.bound(chars, size) if entry.name else 0.0
            fuzzy = max(fuzzy, name if name < 100.0 else 0.0)   # an exact name is in `exact` already
            base = max(base, fuzzy)
            qualifier = 3.0 if position in reading.qualified else 0.0
            bounds.append((round(0.9 * base + 0.1 * (name + cat) / 2 + 1e-6, 1) + qualifier, entry, fuzzy))
        return bounds, categories


def indexed_catalog(items: Sequence[CatalogItem]) -> IndexedCatalog[CatalogItem]:
    """The catalog as match_products takes it, with the ranking that scores only items that can win."""
    ranking = ProductRanking(items)
    return IndexedCatalog(items, ranking._index.candidates, ranking.rank)
