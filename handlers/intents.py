"""Reading a message: intent + slots + confidence + the runner-up, by the phrasing table of the role.

Not by the first word: every phrasing found anywhere in the message counts, the longest first and
without overlaps (so 取消预约 is a reschedule and never a cancel). The phrasings sit in an index by
their first character, so reading costs the length of the message, not the size of the table.
A question (吗 / 呢 / 了没 / ？ …) never triggers the statement inside it: "好了吗？" asks for the
status, it does not confirm the repair.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache

from handlers import periods, slots
from handlers.phrasings import FILLERS, QUESTION_FALLBACK, SHOWS_ONLY, TABLES, IntentSpec
from handlers.text import normalize
from handlers.when import Window, offered, parse_when

# "能不能快点" and "可以取消吗" ask for something: a request, not a question about a state.
# ([一-鿿])不\1: the A-not-A question (多不多, 来不来, 好不好); a final 不 asks too (上门不)
_QUESTION = re.compile(r"[?？]|吗|么$|呢|了没(?=$|有|[吗呢啊呀\s])|没有?$|什么时候|啥时候|几点|多久|多少|怎么样|咋样|哪些|有没有|"
                       r"是不是|谁|几单|几个|几家|几次|咋回事|什么情况|啥情况|到哪|([\u4e00-\u9fff])不\1|不$")
_REQUEST = re.compile(r"^(?:能不能|能否|可不可以|可以|能|帮我|麻烦|请)|能不能|可不可以")
# a dot or colon between digits is part of a date or a time (11.20, 14:00)
_PUNCT = re.compile(r"(?<!\d)[.:](?!\d)|[，,。!！~～、；;：…\"'“”‘’()（）\[\]【】]+")
_FILLER = re.compile("|".join(sorted(map(re.escape, FILLERS), key=len, reverse=True)))
_STAR = re.compile(r"^(?:评分|打分|评价|给个?|打)?\s*([1-5一二两三四五])\s*(?:分(?!钟)|星|颗星|$)")
_AGAIN = re.compile(r"还是|又|还在|依然|仍然|照样|一样")
_JOIN = re.compile(r"(?<=[^\x00-\x7f]) (?! )|(?<! ) (?=[^\x00-\x7f])")   # one space, never the two of a clause break
_NOT_REASON = re.compile(r"[#%@]|这(?:一|个|张)?单子?|^\s*(?:先|就|我)\s*")   # placeholders, "this ticket", a lead-in
_SPACES = re.compile(r"\s+")
_BY_NAME = {role: {s.name: s for s in specs} for role, specs in TABLES.items()}   # the tables hold each name once
_STARS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}

ACT = 0.45          # below this, the likeliest readings are offered as buttons
SURE = 0.7          # a destructive reading below this is confirmed first
LEAD = 0.1          # a reading that only shows something is acted on from here (phrasings.SHOWS_ONLY)


@dataclass(frozen=True)
class Phrasing:
    """One phrasing an operator adds in the config: `role` says it meaning `intent`."""

    role: str
    intent: str
    text: str


@dataclass(frozen=True)
class Reading:
    intent: str | None
    slots: dict[str, object] = field(default_factory=dict)
    confidence: float = 0.0
    runner_up: str | None = None
    question: bool = False
    reason: str = ""                 # the message without the words that only carried the intent

    def label(self, role: str, intent: str | None = None) -> str:
        spec = spec_of(role, intent or self.intent or "")
        return spec.label if spec else ""


def clean(text: str) -> str:
    """Simplified, half-width, lower case; fillers gone and words kept apart by one space; punctuation
    gone too but leaving two, which the voice join (_JOIN) never closes: "家里白天没人，来之前…" is not 没人来."""
    text = _SPACES.sub(" ", _FILLER.sub(" ", normalize(text).lower()))
    return _PUNCT.sub("  ", text).strip()


def spec_of(role: str, intent: str) -> IntentSpec | None:
    return _BY_NAME.get(role, {}).get(intent)


class Index:
    """The phrasings of one role by first character; the longest first within each."""

    def __init__(self, specs: Iterable[IntentSpec], extra: Iterable[tuple[str, str]] = ()) -> None:
        self.by_first: dict[str, list[tuple[str, str, bool]]] = {}
        for spec in specs:
            self._add(spec.label, spec.name, True)   # what its button says, typed, means it too
            for phrase in spec.verbs:
                self._add(phrase, spec.name, True)
            for phrase in spec.cues:
                self._add(phrase, spec.name, False)
        for intent, phrase in extra:
            self._add(phrase, intent, True)
        for entries in self.by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    def _add(self, phrase: str, intent: str, verb: bool) -> None:
        key = clean(phrase)
        if not key:
            return
        entries = self.by_first.setdefault(key[0], [])
        if not any(k == key and i == intent for k, i, _ in entries):   # a label that is also a verb
            entries.append((key, intent, verb))

    def matches(self, text: str) -> list[tuple[int, int, str, bool]]:
        """Non-overlapping phrasings found, longer ones first: (start, end, intent, verb)."""
        found = [(i, i + len(p), intent, verb) for i, ch in enumerate(text)
                 for p, intent, verb in self.by_first.get(ch, ()) if text.startswith(p, i)]
        found.sort(key=lambda m: -(m[1] - m[0]))
        taken: list[tuple[int, int]] = []
        kept = []
        for m in found:
            span = (m[0], m[1])
            if all(span[1] <= a or span[0] >= b for a, b in taken) or any(span == t for t in taken):
                taken.append(span)
                kept.append(m)
        return kept


@lru_cache(maxsize=16)
def indexes(extra: tuple[Phrasing, ...] = ()) -> dict[str, Index]:
    return {role: Index(specs, [(p.intent, p.text) for p in extra if p.role == role])
            for role, specs in TABLES.items()}


def _slots(role: str, raw: str, text: str, prefix: str, people: dict[str, tuple[str, ...]],
           now: datetime | None) -> tuple[dict[str, object], str]:
    found: dict[str, object] = {}
    number, text = slots.take_number(text, prefix)
    if number:
        found["number"] = number
    phone, text = slots.take_phone(text)
    if phone:
        found["phone"] = phone
    if people:
        ids, text = slots.take_technician(text, people)
        if ids:
            found["technician"] = ids[0] if len(ids) == 1 else ids
    if (r := slots.ref(text)) is not None:
        found["ref"] = r
    if role in ("owner", "technician") and now is not None:
        window = parse_when(offered(slots.time_text(raw), now.date()), now)
        if window is not None:
            found["time"] = window
    if role == "technician" and (named := slots.parts(text)):
        found["parts"] = named
    if role in ("dispatcher", "manager", "admin"):
        _desk_slots(text, found, now)
    return found, text


def _desk_slots(text: str, found: dict[str, object], now: datetime | None) -> None:
    if now is not None and (period := periods.read_period(text, now.date())) is not None:
        found["period"] = period
    if (p := slots.priority(text)) is not None:
        found["priority"] = p
    if (by := slots.breakdown(text)) is not None:
        found["by"] = by


def _stars(text: str) -> int | None:
    m = _STAR.match(text)
    if m is None:
        return None
    raw = m.group(1)
    return int(raw) if raw.isdigit() else _STARS[raw]


def _scores(role: str, text: str, matches: list[tuple[int, int, str, bool]], found: dict[str, object],
            states: Collection[str], question: bool) -> dict[str, float]:
    specs = _BY_NAME.get(role, {})
    scores: dict[str, float] = {}
    phrased = {m[2] for m in matches}
    for start, end, intent, verb in matches:
        if verb or question or not (intent in specs and specs[intent].asks):
            scores[intent] = scores.get(intent, 0.0) + 1.0 + 0.6 * (end - start - 1)
    for name, spec in specs.items():
        for slot, weight in spec.slots:
            if slot in found and (name in phrased or not spec.words_first):
                scores[name] = scores.get(name, 0.0) + weight * _strength(found[slot])
        if name in scores and spec.states and states:
            # an action none of the person's tickets allows is an unlikely reading of their words
            scores[name] = scores[name] + 0.8 if set(spec.states) & set(states) else scores[name] * 0.5
        elif name in scores and spec.needs_ticket and not states and "report" in scores:
            # an owner with no ticket who tells a fault with "周六才有人在家": a report, not a visit to move
            scores["report"] += scores.pop(name)
    if question:
        _questions(role, scores, specs)
    if role == "owner" and "report" in scores and _AGAIN.search(text):
        # "还是一直滴" after a repair: the fault told again is the repair that did not hold
        scores["not_fixed"] = scores.get("not_fixed", 0.0) + scores.pop("report")
    return scores


def _strength(value: object) -> float:
    """A bare day (今天, 明天见) says less about a booking than a time of day does."""
    if isinstance(value, Window) and value.end - value.start >= timedelta(hours=8):
        return 0.4
    return 1.0


def _questions(role: str, scores: dict[str, float], specs: dict[str, IntentSpec]) -> None:
    """A question sets aside the statements inside it; what it asks goes to the role's question."""
    fallback = QUESTION_FALLBACK.get(role)
    for name in [n for n in scores if specs.get(n) and specs[n].asserts]:
        moved = scores.pop(name)
        if fallback:
            scores[fallback] = scores.get(fallback, 0.0) + moved


def read(role: str, text: str, prefix: str = "BX", people: dict[str, tuple[str, ...]] | None = None,
         states: Collection[str] = (), now: datetime | None = None, extra: tuple[Phrasing, ...] = ()) -> Reading:
    """The reading of one message said by someone in `role` with tickets in `states`."""
    cleaned = clean(text)
    found, masked = _slots(role, text, cleaned, prefix, people or {}, now)
    question = bool(_QUESTION.search(masked)) and not _REQUEST.search(masked)
    if role == "owner" and (stars := _stars(masked)) is not None:
        return Reading("rate", {**found, "stars": stars}, 1.0)
    index = indexes(extra)[role if role in TABLES else "dispatcher"]
    masked = _JOIN.sub("", masked)  # voice input spaces words apart: 取消 预约 is 取消预约
    matches = index.matches(masked)
    scores = _scores(role, masked, matches, found, states, question)
    reading = _decide(scores, found, question, {m[2] for m in matches})
    return replace(reading, reason=_reason(masked, matches, reading.intent))


def _reason(masked: str, matches: Sequence[tuple[int, int, str, bool]], intent: str | None) -> str:
    """What is left once the words that only said `intent` are taken out: a reason, a note."""
    kept, end = [], 0
    for start, stop in sorted({(a, b) for a, b, name, verb in matches if verb and name == intent}):
        kept.append(masked[end:start])
        end = max(end, stop)
    kept.append(masked[end:])
    return _SPACES.sub(" ", _NOT_REASON.sub("", "".join(kept))).strip()


def _decide(scores: dict[str, float], found: dict[str, object], question: bool, phrased: set[str]) -> Reading:
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] <= 0:
        return Reading(None, found, 0.0, None, question)
    (top, s1), second = ranked[0], (ranked[1] if len(ranked) > 1 else (None, 0.0))
    margin = (s1 - second[1]) / s1
    confidence = margin * min(1.0, 0.45 + s1 / 4) * (1.0 if top in phrased else 0.6)  # slots alone say less
    confidence = round(confidence, 3)
    return Reading(top, found, confidence, second[0], question)


def surely(reading: Reading) -> bool:
    return reading.confidence >= SURE


def clear(reading: Reading) -> bool:
    return reading.intent is not None and reading.confidence >= ACT


def leads(reading: Reading) -> bool:
    """Clear, or ahead of the runner-up on a reading that only shows something."""
    return clear(reading) or (reading.intent in SHOWS_ONLY and reading.confidence >= LEAD)
