"""Which few catalog products a message could match at all, found without scanning them all.

Every match the scorers accept shares at least two characters, in order, with the message
inside a window no longer than the term: an exact hit contains them; a fuzzy score at or
above the threshold used (55.5 before weighting) needs a longest common subsequence of two
or more for any term of three characters or more (one shared character scores at most
2 / (3 + 1) = 50). So an index from each ordered character pair of a term to the entries holding it, probed
with the message's pairs inside that window, returns every entry that can score, usually a
handful; the exact scorer then runs on those alone and returns what a full scan would.
Communities have a sharper index of their own (handlers.extract.address).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

Item = TypeVar("Item")


def _same(text: str) -> str:
    return text


class PairIndex:
    """Ordered character pairs of each entry's terms -> the entries, for candidate lookup.

    A pair's entries are a bit mask (bit n: entry n): a message's hits are OR-ed as Python integers,
    much cheaper than uniting sets, and come out in entry order."""

    def __init__(self, terms: Iterable[Iterable[str]], fold: Callable[[str], str] = _same) -> None:
        self._fold = fold
        postings: dict[str, dict[str, set[int]]] = {}   # first character -> second -> entries
        self.window = 2
        self.size = 0
        for position, entry_terms in enumerate(terms):
            self.size = position + 1
            for term in entry_terms:
                folded = fold(term)
                self.window = max(self.window, len(folded))
                for pair in _pairs(folded, len(folded)):
                    postings.setdefault(pair[0], {}).setdefault(pair[1], set()).add(position)
        self._rows = {first: {second: _mask(found) for second, found in row.items()}
                      for first, row in postings.items()}

    def mask(self, text: str) -> int:
        """The entries that could match `text`, as a bit mask: every pair less than `window` apart probed.
        From a character's first occurrence whose window reaches the end, later ones add no pair."""
        folded = self._fold(text)
        rows, window, size = self._rows, self.window, len(folded)
        found, covered = 0, set()
        for i, char in enumerate(folded):
            row = rows.get(char)
            if row is None or char in covered:
                continue
            if i + window >= size:
                covered.add(char)
            for second in row.keys() & set(folded[i + 1:i + window]):
                found |= row[second]
        return found

    def positions(self, text: str) -> list[int] | np.ndarray:
        """Positions of the entries that could match `text`, in entry order: a list when they are few,
        else an array."""
        return _positions(self.mask(text), self.size)

    def candidates(self, text: str) -> list[int]:
        """Positions of the entries that could match `text`, in entry order."""
        found = self.positions(text)
        return found if isinstance(found, list) else found.tolist()


def _mask(positions: Iterable[int]) -> int:
    mask = 0
    for position in positions:
        mask |= 1 << position
    return mask


_FEW_BITS = 32   # up to this many set bits, peeling them off in Python beats numpy's cost per call


def _positions(mask: int, size: int) -> list[int] | np.ndarray:
    """The set bits of `mask` (below `size`), lowest first."""
    if mask.bit_count() <= _FEW_BITS:
        found = []
        while mask:
            low = mask & -mask
            found.append(low.bit_length() - 1)
            mask ^= low
        return found
    raw = np.frombuffer(mask.to_bytes((size + 7) // 8, "little"), dtype=np.uint8)
    return np.flatnonzero(np.unpackbits(raw, bitorder="little"))


def _pairs(text: str, window: int) -> set[str]:
    """Every (earlier, later) character pair less than `window` apart, as a two-character key."""
    return {text[i] + text[j] for i in range(len(text)) for j in range(i + 1, min(i + window, len(text)))}


class IndexedCatalog(tuple[Item, ...]):
    """A catalog (a tuple, as the matchers take it) carrying what finds its likely entries fast.

    The matchers use `candidates` / `rank` when given one of these and scan otherwise, with the
    same result; handlers.catalog_cache builds one per catalog version for every message to share.
    """

    _candidates: Callable[[str], list[int]]
    _rank: Callable[[str, int], tuple[Any, ...]] | None
    _keyed: dict[str, Item]

    def __new__(cls, items: Iterable[Item], candidates: Callable[[str], list[int]],
                rank: Callable[[str, int], tuple[Any, ...]] | None = None,
                key: Callable[[Item], str] | None = None) -> IndexedCatalog[Item]:
        made = super().__new__(cls, items)
        made._candidates, made._rank = candidates, rank
        made._keyed = {}
        if key is not None:
            for item in reversed(made):   # the first of a repeated key, as a scan finds it
                made._keyed[key(item)] = item
        return made

    def first(self, key: str) -> Item | None:
        """The first entry with this key (as built with `key`), found without a scan."""
        return self._keyed.get(key)

    def candidates(self, text: str) -> list[Item]:
        """The entries that could match `text`, in catalog order."""
        return [self[i] for i in self._candidates(text)]

    def rank(self, text: str, limit: int) -> tuple[Any, ...]:
        assert self._rank is not None, "built without a ranking"
        return self._rank(text, limit)
