"""`match_products` over a large catalog: the answer of scoring every item, from the few that can win.

Scoring an item (handlers.extract.products) costs a fuzzy comparison per term; with 20,000 aliases that
is far too slow per message, and the everyday words (龙头, 热水器) are shared by hundreds of
items. So, per message: the pair index (handlers.catalog_index) drops the items that cannot
reach the threshold; exact hits (a term in the message, or a term without its room prefix in it)
come from one dictionary probe per substring of the message; each remaining item gets an upper
bound of its score from its exact hits, its category, the length of its other terms and the
characters its name shares with the message, each as often as both hold it (a common subsequence
is never longer than that).
The bounds are computed for all candidates at once (numpy arrays over the catalog, rounded as the
scores are, up when a tenth is too close to a half to tell) and sorted; walking them in order, each
item is scored exactly into a heap, whose best is the next answer once no bound left is above it.
Scoring exactly is one fuzzy comparison of the name, and all of the item's terms only when one of
its other terms could still outweigh what is known. Past the walk's first few items, names that
differ only in characters the message lacks (the same template under other brands) share one
comparison (_Masks).
The qualifier bonus (燃气 for a 热水器) is found by the same kind of probe, and the lift of a more
specific item (马桶盖 over 马桶) is looked for only among items with a longer exact term. Same scores,
same order, ties to catalog order, as the full scan.
A dozen candidates or fewer (every message, in a small catalog) are simply all scored: numpy's cost per
call makes bounding them dearer than scoring them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from heapq import heappop, heappush

import numpy as np
from rapidfuzz import fuzz

from handlers.catalog_index import IndexedCatalog, PairIndex
from handlers.extract.products import (
    _CONFUSABLE,
    _PLACE,
    PRODUCT_THRESHOLD,
    CatalogItem,
    ProductMatch,
    _exact_weight,
    similarity,
    term_forms,
)


def _fold(text: str) -> str:
    return text.lower().translate(_CONFUSABLE)


def _cap(length: int) -> float:
    """The best fuzzy score of a term of `length` characters that is not in the text: one character short."""
    return 200.0 * (length - 1) / (2 * length - 1)


@lru_cache(maxsize=4096)   # items share their alias lengths: one table each
def _length_bounds(lengths: frozenset[int], longest: int) -> tuple[float, ...]:
    """What terms of these lengths can score fuzzily against a text of each size up to `longest` (the
    index), the last entry holding for every longer text: past its length a term is compared whole."""
    return tuple(max((200.0 * size / (n + size) if n > size else _cap(n) for n in lengths), default=0.0)
                 for size in range(longest + 1))


@dataclass(frozen=True)
class _Name:
    """An item's name as the fuzzy comparison sees it, and what bounds it cheaply."""

    folded: str
    cut: str                  # lower case, room prefix cut; "" when too short to compare fuzzily
    chars: frozenset[str]
    repeats: int              # characters beyond the distinct ones: each may be shared once more
    cap: float                # 100 when the cut form may be in the text whole (a room prefix was cut)

    @classmethod
    def of(cls, name: str) -> _Name:
        lowered = name.lower()
        cut = _PLACE.sub("", lowered)
        if len(cut) < 3:
            cut = ""
        return cls(_fold(name), cut, frozenset(cut), len(cut) - len(set(cut)),
                   100.0 if cut and cut != lowered else _cap(len(cut)) if cut else 0.0)

    def similarity(self, text: str, folded: str) -> float:
        """products._similarity of the name, from its precomputed forms."""
        if self.folded in folded:
            return 100.0
        return self.fuzzy(text) if self.cut else 0.0

    def fuzzy(self, text: str) -> float:
        """The fuzzy comparison of the cut form (not empty), as if the name were not in the text."""
        return fuzz.ratio(self.cut, text) if len(self.cut) > len(text) else fuzz.partial_ratio(self.cut, text)


@dataclass(frozen=True)
class _Entry:
    item: CatalogItem
    category: int                           # index into the ranking's categories
    name: _Name
    fuzzy: tuple[float, ...]                # _length_bounds of the aliases that can score fuzzily
    aliases: tuple[_Name, ...]              # those aliases
    plain: bool                             # the name counts as a term (two characters or more)
    terms: tuple[tuple[str, str, str], ...]   # (lower, folded, room prefix cut) of the name and aliases


def _aliases(aliases: tuple[_Name, ...], reading: _Reading, known: float, floor: float = 0.0) -> float:
    """The best fuzzy score of these aliases above `known`, comparing only those whose bound is above it and
    above `floor` (a score that low does not matter). A score of 100 is an exact hit, already known by its weight."""
    text, chars, size = reading.text, reading.chars, len(reading.text)
    best = known
    for alias in aliases:
        length, shared = len(alias.cut), len(alias.chars & chars) + alias.repeats
        bound = 200.0 * min(shared, size) / (length + size) if length > size else 200.0 * shared / (length + shared)
        if bound > best and bound > floor and (sim := alias.similarity(text, reading.folded)) < 100.0:
            best = max(best, sim)
    return best


def _add(table: dict[str, dict[int, float]], key: str, position: int, weight: float = 1.0) -> None:
    found = table.setdefault(key, {})
    found[position] = max(found.get(position, 0.0), weight)


def _probe(tables: tuple[dict[str, dict[int, float]], ...], prefixes: frozenset[str],
           text: str) -> list[dict[str, dict[int, float]]]:
    """For each table, its entries whose key (two characters or more) is in `text`: from each start, one
    probe per length while the substring still begins some key (`prefixes`, two characters or more)."""
    hits: list[dict[str, dict[int, float]]] = [{} for _ in tables]
    pairs = tuple(zip(tables, hits))
    for start in range(len(text) - 1):
        for end in range(start + 2, len(text) + 1):
            key = text[start:end]
            if key not in prefixes:
                break
            for table, found in pairs:
                if key in table:
                    found[key] = table[key]
    return hits


def _prefixes(*tables: dict[str, dict[int, float]]) -> frozenset[str]:
    return frozenset(key[:n] for table in tables for key in table for n in range(2, len(key) + 1))


def _arrays(table: dict[str, dict[int, float]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each key's items and weights as arrays: a message's best weights are then a few array maxima."""
    return {key: (np.fromiter(found, dtype=np.intp, count=len(found)),
                  np.fromiter(found.values(), dtype=np.float64, count=len(found))) for key, found in table.items()}


def _best(size: int, *hits: tuple[dict[str, dict[int, float]], dict[str, tuple[np.ndarray, np.ndarray]]]) -> np.ndarray:
    """Each item's best weight among the keys hit in each table (given with its _arrays), 0 for none, as an
    array over the catalog."""
    best = np.zeros(size)
    for table, arrays in hits:
        for key in table:
            items, weights = arrays[key]
            best[items] = np.maximum(best[items], weights)
    return best


@dataclass(frozen=True)
class _Reading:
    """What one message hits, probed once and shared by the ranking and the lift."""

    text: str
    folded: str
    chars: frozenset[str]
    exact: dict[str, dict[int, float]]      # folded term -> item position -> exact weight
    cut: dict[str, dict[int, float]]        # a term without its room prefix, in the text -> items
    qualified: frozenset[int]               # items with a qualifier word in the text (+3)
    categories: dict[int, float]            # category -> its similarity, filled as items need it
    names: dict[bytes, float]               # a name as masked by the text (_Masks) -> its fuzzy similarity
    confused: str                           # the text with the characters owners confuse folded (not lowered)
    arrays: list[np.ndarray] = field(default_factory=list)   # every item's weight, once a walk needs them

    def weight(self, position: int) -> float:
        """The item's best exact weight (0: none), as _best finds it for all items (and has, after a walk)."""
        if self.arrays:
            return float(self.arrays[0][position])
        return self._hit_weights.get(position, 0.0)

    @cached_property
    def _hit_weights(self) -> dict[int, float]:
        """Each item hit exactly: its best weight (a few items scored one by one ask for theirs)."""
        best: dict[int, float] = {}
        for table in (self.exact, self.cut):
            for found in table.values():
                for position, weight in found.items():
                    if weight > best.get(position, 0.0):
                        best[position] = weight
        return best


_NEAR_HALF = 1e-6   # tenths this close to a half round up in the bounds: round() may take either side


class _Masks:
    """The walk's names as the text masks them, one fixed-width row each: the k-th is the k-th item's key.

    A fuzzy comparison (an indel ratio, or the best of them over windows of the text) depends only on
    which characters of the name equal which of the text: the others never match anything, whatever
    they are. So two names of one length whose characters held by the text are the same, in the same
    places, compare alike; rapidfuzz's shortcuts (windows skipped on a character the other string
    lacks) test the same membership for both. Names over 64 characters (another algorithm) are
    compared one by one. Rows are made in growing chunks, as the walk reaches them: most stop early."""

    def __init__(self, bounds: _Bounds, items: np.ndarray, chars: frozenset[str]) -> None:
        self._bounds, self._items, self._chars = bounds, items, chars
        self._rows, self._done, self._width = b"", 0, 0
        self._shown = np.zeros(0, dtype=bool)

    def key(self, k: int) -> bytes:
        """The k-th name's key (k past the first few, which are compared one by one: most walks end there)."""
        if k >= self._done:
            self._extend(max(k + 1, 4 * max(self._done, _UNMASKED)))
        return self._rows[(k - _UNMASKED) * self._width:(k - _UNMASKED + 1) * self._width]

    def _extend(self, end: int) -> None:
        codes, hidden = self._bounds.codes, self._bounds.hidden
        if not self._done:
            self._done, self._width = _UNMASKED, codes.shape[1] * codes.itemsize
            self._shown = np.zeros(hidden + 1, dtype=bool)
            self._shown[0] = True
            vocabulary = self._bounds.vocabulary
            self._shown[[code for char in self._chars if (code := vocabulary.get(char))]] = True
        rows = codes[self._items[self._done:end]]
        self._rows += np.where(self._shown[rows], rows, hidden).tobytes()
        self._done += len(rows)


_MASKED = 64   # the longest name compared once for all names masked alike
_UNMASKED = 8  # the walk's first names, compared one by one: most walks end there
_FEW = 12      # candidates this few are all scored, not bounded first (numpy's cost per call outweighs it)


class _Bounds:
    """What bounds every item's score, as arrays over the catalog: one message's candidates are bounded
    at once, with the same arithmetic as _score makes from the name's shared characters."""

    def __init__(self, entries: Sequence[_Entry], categories: int, longest: int) -> None:
        self._size, self._categories = len(entries), categories
        self._category = np.array([e.category for e in entries], dtype=np.intp)
        self._length = np.array([len(e.name.cut) for e in entries], dtype=np.float64)
        self._cap = np.array([e.name.cap for e in entries], dtype=np.float64)
        self._fuzzy = np.array([e.fuzzy for e in entries], dtype=np.float64).reshape(len(entries), longest + 1)
        self._longest = longest
        holders: dict[tuple[str, int], list[int]] = {}   # (a character, k) -> the names holding it k times or more
        named: dict[str, list[int]] = {}        # a folded name the exact probe finds -> its items
        self._odd: list[tuple[int, str]] = []   # names under two characters, which the probe does not find
        for position, entry in enumerate(entries):
            for char, count in Counter(entry.name.cut).items():
                for times in range(1, count + 1):
                    holders.setdefault((char, times), []).append(position)
            if len(entry.item.name) >= 2:
                named.setdefault(entry.name.folded, []).append(position)
            else:
                self._odd.append((position, entry.name.folded))
        self._holders = {key: np.array(found, dtype=np.intp) for key, found in holders.items()}
        self.vocabulary: dict[str, int] = {}   # a character of some name -> its code, from 1 (0 pads)
        for entry in entries:
            for char in entry.name.cut:
                self.vocabulary.setdefault(char, len(self.vocabulary) + 1)
        self.hidden = len(self.vocabulary) + 1   # the code of every character the text does not hold
        width = max((len(e.name.cut) for e in entries), default=0)
        self.codes = np.zeros((len(entries), width), dtype=np.uint16 if self.hidden < 2 ** 16 else np.uint32)
        for position, entry in enumerate(entries):
            self.codes[position, :len(entry.name.cut)] = [self.vocabulary[c] for c in entry.name.cut]
        self._named = {name: np.array(found, dtype=np.intp) for name, found in named.items()}

    def sorted(self, reading: _Reading, positions: Collection[int], category: Callable[[_Reading, int], float],
               weights: np.ndarray) -> tuple[list[float], list[int], _Masks]:
        """The bounds reaching the threshold, best first (ties to catalog order), their items and their names
        as the text masks them."""
        items = positions if isinstance(positions, np.ndarray) else \
            np.fromiter(positions, dtype=np.intp, count=len(positions))
        if not len(items):
            return [], [], _Masks(self, items, reading.chars)
        numbers = self._category[items]
        similarity = np.zeros(self._categories)
        for number in np.flatnonzero(np.bincount(numbers, minlength=self._categories)).tolist():
            similarity[number] = category(reading, number)
        cat = similarity[numbers]
        name = self._names(reading, items)
        fuzzy = self._fuzzy[items, min(len(reading.text), self._longest)]
        qualified = np.zeros(self._size)
        if reading.qualified:
            qualified[list(reading.qualified)] = 3.0
        base = np.maximum(np.maximum(weights[items], np.where(cat == 100.0, 85.0, cat)), np.maximum(name, fuzzy))
        tenths = np.floor((0.9 * base + 0.1 * ((name + cat) / 2)) * 10 + (0.5 + _NEAR_HALF))
        bound = tenths / 10 + qualified[items]   # round(…, 1) as _score takes it, never below it
        keep = bound >= PRODUCT_THRESHOLD
        items, bound = items[keep], bound[keep]
        order = np.lexsort((items, -bound))
        return bound[order].tolist(), items[order].tolist(), _Masks(self, items[order], reading.chars)

    def _names(self, reading: _Reading, items: np.ndarray) -> np.ndarray:
        """_Name.similarity bounded by the characters each name shares with the text, each as often as both
        hold it (a common subsequence is never longer): 100 when the name is in the text."""
        size = len(reading.text)
        holders = self._holders
        found = [holders[key] for char, count in Counter(reading.text).items()
                 for key in ((char, times) for times in range(1, count + 1)) if key in holders]
        if found:
            shared = np.bincount(np.concatenate(found), minlength=self._size)[items].astype(np.float64)
        else:
            shared = np.zeros(len(items))
        length, cap = self._length[items], self._cap[items]
        longer = 200.0 * np.minimum(shared, size) / np.maximum(length + size, 1.0)
        within = np.where(shared > 0, np.minimum(cap, 200.0 * shared / np.maximum(length + shared, 1.0)), 0.0)
        name = np.where(length > 0, np.where(length > size, longer, within), 0.0)
        inside = np.zeros(self._size, dtype=bool)
        for key in reading.exact:
            if (holding := self._named.get(key)) is not None:
                inside[holding] = True
        for position, folded in self._odd:
            inside[position] = folded in reading.folded
        name[inside[items]] = 100.0
        return name


class ProductRanking:
    def __init__(self, items: Sequence[CatalogItem]) -> None:
        self._categories: list[str] = list(dict.fromkeys(item.category.lower() for item in items))
        self._category_forms = [term_forms(c) for c in self._categories]
        numbers = {category: n for n, category in enumerate(self._categories)}
        self._longest_alias = max((len(t) for item in items for t in item.aliases), default=0)
        self._entries = [self._entry(item, numbers[item.category.lower()], self._longest_alias) for item in items]
        self._bounds = _Bounds(self._entries, len(self._categories), self._longest_alias)
        self._skus = {e.item.sku: e for e in self._entries}   # the last of a repeated SKU, as the scan keeps it
        self._index = PairIndex(((i.name, i.category, *i.aliases) for i in items), _fold)
        self._exact: dict[str, dict[int, float]] = {}       # folded term -> item position -> exact weight
        self._cut: dict[str, dict[int, float]] = {}         # a term without its room prefix -> items, weight
        self._qualifiers: dict[str, dict[int, float]] = {}  # what _qualifier_hit looks for -> items
        for position, item in enumerate(items):
            self._index_item(position, item)
        self._prefixes = _prefixes(self._exact, self._cut, self._qualifiers)
        self._exact_arrays, self._cut_arrays = _arrays(self._exact), _arrays(self._cut)

    def _index_item(self, position: int, item: CatalogItem) -> None:
        category = item.category.lower()
        for term in (item.name, *item.aliases):
            if len(term) >= 2:
                weight = _exact_weight(term, term == item.name)
                _add(self._exact, _fold(term), position, weight)
                if len(cut := _PLACE.sub("", term.lower())) >= 3 and cut != term.lower():
                    _add(self._cut, cut, position, weight)   # fuzzily 100 when in the text: an exact hit
            head, found, _ = term.lower().partition(category)
            if found and head:
                for word in ((head, head + category[0]) if len(head) >= 2 else (head + category[0],)):
                    _add(self._qualifiers, word, position)
        if len(item.category) >= 2:
            _add(self._exact, _fold(item.category), position, 85.0)

    @staticmethod
    def _entry(item: CatalogItem, category: int, longest: int) -> _Entry:
        aliases = tuple(_Name.of(t) for t in dict.fromkeys(item.aliases) if len(t) >= 2)
        aliases = tuple(a for a in aliases if a.cut)
        words = tuple((t.lower(), _fold(t), _PLACE.sub("", t.lower()))
                      for t in (item.name, *item.aliases) if len(t) >= 2)
        return _Entry(item, category, _Name.of(item.name), _length_bounds(frozenset(len(a.cut) for a in aliases),
                      longest), aliases, len(item.name) >= 2, words)

    def rank(self, text: str, limit: int) -> tuple[ProductMatch, ...]:
        """What match_products returns for `text` (normalized and lower-cased, as it passes it)."""
        reading = self._read(text)
        ranked = self._top(reading, max(limit, 2), self._index.positions(text))
        lifted = self._lifted(reading, ranked) if len(ranked) >= 2 else None
        if lifted is None:
            return ranked[:limit]
        rest = tuple(m for m in ranked if m.sku != lifted.sku)
        return (ProductMatch(lifted.sku, max(lifted.score, ranked[0].score + 0.1)), *rest)[:limit]

    def _read(self, text: str) -> _Reading:
        folded = _fold(text)
        if folded == text:   # usually: one walk finds all three
            exact, cut, qualifiers = _probe((self._exact, self._cut, self._qualifiers), self._prefixes, text)
        else:
            [exact] = _probe((self._exact,), self._prefixes, folded)
            cut, qualifiers = _probe((self._cut, self._qualifiers), self._prefixes, text)
        qualified = frozenset(p for found in qualifiers.values() for p in found)
        return _Reading(text, folded, frozenset(text), exact, cut, qualified, {}, {}, text.translate(_CONFUSABLE))

    def _weights(self, reading: _Reading) -> np.ndarray:
        """_Reading.weight of every item, as an array over the catalog: made once per message, when a walk needs it."""
        if not reading.arrays:
            reading.arrays.append(_best(len(self._entries), (reading.exact, self._exact_arrays),
                                        (reading.cut, self._cut_arrays)))
        return reading.arrays[0]

    def _category(self, reading: _Reading, number: int) -> float:
        """products._similarity of the category, from its forms made once."""
        sim = reading.categories.get(number)
        if sim is None:
            forms = self._category_forms[number]
            sim = similarity(forms, reading.text, reading.confused) if len(forms[0]) >= 2 else 0.0
            reading.categories[number] = sim
        return sim

    def _top(self, reading: _Reading, limit: int, positions: Collection[int]) -> tuple[ProductMatch, ...]:
        """The `limit` best scores. Bounds are taken best first (ties to catalog order); an item is scored
        when its bound comes before the best exact score found so far, which is the next answer otherwise.
        A few candidates are all scored instead: bounding them costs more than scoring them."""
        column = min(len(reading.text), self._longest_alias)
        if len(positions) <= _FEW:
            return self._all_scored(reading, limit, positions, column)
        bounds, order, masks = self._bounds.sorted(reading, positions, self._category, self._weights(reading))
        scored: list[tuple[float, int]] = []
        found: list[ProductMatch] = []
        taken, count = 0, len(order)
        while len(found) < limit:
            if taken < count and (not scored or (-bounds[taken], order[taken]) < scored[0]):
                position = order[taken]
                score = self._score(reading, position, masks, taken, column)
                taken += 1
                if score >= PRODUCT_THRESHOLD:
                    heappush(scored, (-score, position))
            elif scored:
                negative, position = heappop(scored)
                found.append(ProductMatch(self._entries[position].item.sku, -negative))
            else:
                break
        return tuple(found)

    def _all_scored(self, reading: _Reading, limit: int, positions: Collection[int],
                    column: int) -> tuple[ProductMatch, ...]:
        """The `limit` best scores of these items, each scored, as the walk would find them (ties to catalog order)."""
        listed = positions.tolist() if isinstance(positions, np.ndarray) else positions
        scored = sorted((-score, position) for position in listed
                        if (score := self._score(reading, position, None, 0, column)) >= PRODUCT_THRESHOLD)
        return tuple(ProductMatch(self._entries[position].item.sku, -negative) for negative, position in scored[:limit])

    def _score(self, reading: _Reading, position: int, masks: _Masks | None, k: int, column: int) -> float:
        """The item's score as handlers.extract.products computes it, when it reaches the threshold (under it,
        possibly lower: it is dropped either way). With the name compared and the exact hits and the category
        known, an alias is compared only when its bound (`column` of its fuzzy bounds) could weigh more. The
        item is the k-th of the walk whose names `masks` holds."""
        entry, text = self._entries[position], reading.text
        cat = self._category(reading, entry.category)
        name = self._name(entry.name, reading, masks, k)
        base = max(reading.weight(position), 85.0 if cat == 100.0 else cat, name if entry.plain else 0.0)
        qualified = 3.0 if position in reading.qualified else 0.0
        if entry.fuzzy[column] > base:
            # an alias scoring no more than this leaves the item under the threshold, whatever it scores exactly
            floor = (PRODUCT_THRESHOLD - qualified - 0.1 * ((name + cat) / 2) - 0.1) / 0.9
            base = max(base, _aliases(entry.aliases, reading, base, floor))
        return round(0.9 * base + 0.1 * ((name + cat) / 2), 1) + qualified

    @staticmethod
    def _name(name: _Name, reading: _Reading, masks: _Masks | None, k: int) -> float:
        """_Name.similarity; a comparison over windows of the text is made once for the names masked alike
        (see _Masks), past the walk's first few names."""
        if name.folded in reading.folded:
            return 100.0
        if not name.cut:
            return 0.0
        if masks is None or k < _UNMASKED or len(name.cut) > len(reading.text) or len(name.cut) > _MASKED:
            return name.fuzzy(reading.text)   # a plain ratio (a name longer than the text) is cheap
        masked = masks.key(k)
        sim = reading.names.get(masked)
        if sim is None:
            sim = reading.names[masked] = name.fuzzy(reading.text)
        return sim

    def _lifted(self, reading: _Reading, ranked: tuple[ProductMatch, ...]) -> ProductMatch | None:
        """The best-ranked item whose longest exact term holds the first item's and is longer (马桶盖 over
        马桶), as products._more_specific_first finds it; only items with such a term can be it."""
        best = self._longest_exact(self._skus[ranked[0].sku], reading)
        if not best:
            return None
        folded = _fold(best)
        maybe = {p for key, found in reading.exact.items() if len(key) > len(best) and folded in key for p in found}
        maybe |= {p for found in reading.cut.values() for p in found}
        among = {p for p in maybe if best in (longer := self._longest_exact(self._entries[p], reading))
                 and len(longer) > len(best)}
        top = self._top(reading, 1, among) if among else ()
        return top[0] if top else None

    @staticmethod
    def _longest_exact(entry: _Entry, reading: _Reading) -> str:
        """products._longest_exact without the fuzzy comparisons: a term scores 100 when it is in the text
        (folded), or when its room-prefix-cut form of three characters or more is."""
        hits = [lower for lower, folded, cut in entry.terms
                if folded in reading.folded or (len(cut) >= 3 and cut in reading.text)]
        return max(hits, key=len, default="")


def indexed_catalog(items: Sequence[CatalogItem]) -> IndexedCatalog[CatalogItem]:
    """The catalog as match_products takes it, with the ranking that scores only items that can win."""
    ranking = ProductRanking(items)
    return IndexedCatalog(items, ranking._index.candidates, ranking.rank, key=lambda item: item.sku)
