"""Where a fault report says the job is: building, unit and room, and which community."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import cn2an
import numpy as np
from rapidfuzz import fuzz

from handlers.catalog_index import IndexedCatalog

# A community counts when mentioned exactly, by a prefix (翠湖 -> 翠湖花园),
# or with one wrong character in a 4-character name (75).
COMMUNITY_THRESHOLD = 75.0

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


def find_address(text: str) -> tuple[str | None, str | None, str | None, tuple[int, int] | None]:
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


@lru_cache(maxsize=8192)   # the same few candidate names come back message after message
def _parts(name: str) -> tuple[str, ...]:
    """"未来科技城·云栖苑": owners write it without the dot, or name either part on its own."""
    parts = re.split(r"[·・\s]+", name)
    return tuple(dict.fromkeys((name, "".join(parts), *parts)))


_FEW_PARTS = 64


class _CommunityIndex:
    """The names a message can match at all, as _community_hit reads it, without trying every name.

    An exact or a prefix hit holds the part's shortest accepted prefix (the part itself when it has
    two characters): one dictionary probe per short substring finds those. A fuzzy hit of 75 or more
    against a window of the text needs a common subsequence of at least 0.6 of the part's length
    (a full window: 2·lcs / 2L ≥ 0.75; a shorter one at an edge, w ≥ 0.6L: 2·lcs / (L + w) ≥ 0.75),
    so at least that many of its characters are in the text: counted per character, in one numpy bincount
    (in Python for a desk's few names).
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._prefixes: dict[str, set[int]] = {}
        self._owner: list[int] = []          # part number -> name position
        self._needs: list[int] = []          # part number -> distinct shared characters a fuzzy hit needs
        chars: dict[str, list[int]] = {}
        parts_made: list[str] = []           # part number -> the part
        for position, name in enumerate(names):
            for part in _parts(name):
                if len(part) < 2:
                    continue
                self._prefixes.setdefault(part[:_shortest_prefix(part)], set()).add(position)
                if len(part) >= 3:
                    number = len(self._owner)
                    parts_made.append(part)
                    self._owner.append(position)
                    self._needs.append(-(-3 * len(part) // 5) - (len(part) - len(set(part))))
                    for char in set(part):
                        chars.setdefault(char, []).append(number)
        # arrays: the characters' part numbers are counted in one bincount, not a Python loop
        self._chars = {char: np.array(found, dtype=np.intp) for char, found in chars.items()}
        self._owners = np.array(self._owner, dtype=np.intp)
        self._least = np.maximum(np.array(self._needs, dtype=np.intp), 1)   # a part shares one character at least
        # Few parts (most desks' communities): counted in Python, which beats numpy's cost per call there.
        self._few = None if len(self._owner) > _FEW_PARTS else \
            [(self._owner[n], frozenset(part), int(self._least[n])) for n, part in enumerate(parts_made)]
        # what a substring may begin with for some prefix to follow: a walk from a start stops at the first miss
        self._starts = frozenset(key[:n] for key in self._prefixes for n in range(2, len(key) + 1))

    def candidates(self, text: str) -> list[int]:
        """Positions of the names that could match `text`, in name order."""
        found: set[int] = set()
        prefixes, starts = self._prefixes, self._starts
        for start in range(len(text) - 1):
            for end in range(start + 2, len(text) + 1):
                key = text[start:end]
                if key not in starts:
                    break
                found.update(prefixes.get(key, ()))
        if self._few is not None:
            present = set(text)
            found.update(owner for owner, chars, least in self._few if len(chars & present) >= least)
            return sorted(found)
        held = [parts for char in set(text) if (parts := self._chars.get(char)) is not None]
        if held:
            shared = np.bincount(np.concatenate(held), minlength=len(self._owners))
            found.update(self._owners[shared >= self._least].tolist())
        return sorted(found)


def _shortest_prefix(part: str) -> int:
    """The shortest prefix _community_hit accepts: half the name and two characters; all of a 2-character one."""
    return max(2, (len(part) + 1) // 2) if len(part) >= 3 else len(part)


def indexed_communities(names: Iterable[str]) -> IndexedCatalog[str]:
    """Community names with their index: `find_community` then tries only those that can match."""
    listed = tuple(names)
    return IndexedCatalog(listed, _CommunityIndex(listed).candidates)


def find_community(text: str, communities: Iterable[str]) -> tuple[str | None, tuple[int, int] | None]:
    best: tuple[float, str, tuple[int, int]] | None = None
    # Names the index leaves out cannot score (see _CommunityIndex): same result.
    names = communities.candidates(text) if isinstance(communities, IndexedCatalog) else communities
    for name in names:
        for part in _parts(name):
            hit = _community_hit(part, text) if len(part) >= 2 else None
            # Of equal hits the one covering more of the mention wins, so none of it is left
            # in the description.
            if hit and (best is None or (hit[0], _width(hit[1])) > (best[0], _width(best[2]))):
                best = (hit[0], name, hit[1])
    return (best[1], best[2]) if best else (None, None)


def _width(span: tuple[int, int]) -> int:
    return span[1] - span[0]
