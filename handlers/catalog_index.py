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

Item = TypeVar("Item")


def _same(text: str) -> str:
    return text


class PairIndex:
    """Ordered character pairs of each entry's terms -> the entries, for candidate lookup."""

    def __init__(self, terms: Iterable[Iterable[str]], fold: Callable[[str], str] = _same) -> None:
        self._fold = fold
        postings: dict[str, set[int]] = {}
        self.window = 2
        for position, entry_terms in enumerate(terms):
            for term in entry_terms:
                folded = fold(term)
                self.window = max(self.window, len(folded))
                for pair in _pairs(folded, len(folded)):
                    postings.setdefault(pair, set()).add(position)
        # frozensets: union by C-level set operations when probing
        self._postings = {pair: frozenset(found) for pair, found in postings.items()}

    def candidates(self, text: str) -> list[int]:
        """Positions of the entries that could match `text`, in entry order."""
        found: set[int] = set()
        postings = self._postings
        for pair in _pairs(self._fold(text), self.window):
            hit = postings.get(pair)
            if hit is not None:
                found |= hit
        return sorted(found)


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
