"""One turn of a conversation outside the report form: answer a pending question, or read the message,
then act, ask which, confirm, or offer the likeliest readings as buttons. Never act on a guess.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.errors import Refused
from domain.visibility import visible_ticket
from handlers import commands
from handlers import focus as memory
from handlers import intents, wording
from handlers.base import Ctx
from handlers.extract import is_affirmative, is_negative
from handlers.intents import Phrasing, Reading
from handlers.phrasings import IntentSpec
from handlers.picking import Several
from handlers.text import normalize
from storage.uow import SqlUnitOfWork


@dataclass
class Turn:
    text: str
    reading: Reading
    focus: memory.Focus
    fill: dict[str, str] = field(default_factory=dict)
    confirmed: bool = False

    @property
    def intent(self) -> str:
        return self.reading.intent or ""

    def slot(self, name: str) -> object:
        return self.fill.get(name) or self.reading.slots.get(name)


class Choose(Exception):
    """An action cannot go on without the person choosing: a technician of two, a ticket of several."""

    def __init__(self, question: str, options: dict[str, str], slot: str) -> None:
        super().__init__(question)
        self.question, self.options, self.slot = question, options, slot


Action = Callable[[Ctx, SqlUnitOfWork, Turn], None]
Reader = Callable[[str], Reading]
# what to offer when nothing was understood: the role's likeliest intents; () when it answered itself
Unclear = Callable[[Ctx, SqlUnitOfWork, Turn], Sequence[str]]


def extra_phrasings(ctx: Ctx) -> tuple[Phrasing, ...]:
    return tuple(Phrasing(*p) for p in getattr(ctx.desk.rules, "phrasings", ()))


def number(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> str | None:
    """The ticket meant: chosen, named, or "这单" / "上一单" from what the person last saw."""
    named = turn.slot("number")
    if isinstance(named, str):
        visible_ticket(uow, ctx.actor, named)  # someone else's ticket reads as an unknown number
        return named
    ref = turn.reading.slots.get("ref")
    if ref == "this":
        return memory.this_ticket(ctx, uow, turn.focus)
    if ref == "previous":
        return turn.focus.previous
    return None


def confirmed(ctx: Ctx, turn: Turn, question: str, buttons: tuple[str, str], fill: dict[str, str]) -> bool:
    """True when the person already said yes to this; otherwise asks once, with buttons."""
    if turn.confirmed:
        return True
    _ask(ctx, turn, memory.Pending(turn.text, turn.intent, "confirm", {buttons[0]: "yes", buttons[1]: "no"},
                                   fill={**turn.fill, **fill}), question, buttons)
    return False


def _ask(ctx: Ctx, turn: Turn, pending: memory.Pending, question: str, buttons: Sequence[str]) -> None:
    pending.asked_at = ctx.now.isoformat()
    turn.focus.pending = pending
    ctx.say(question, tuple(buttons))


def converse(ctx: Ctx, uow: SqlUnitOfWork, read: Reader, actions: dict[str, Action], role: str,
             unclear: Unclear) -> None:
    focus = memory.load(ctx)
    pending = memory.fresh(ctx, focus.pending)
    focus.pending = None
    turn = _answering(ctx, pending, focus, read) if pending else None
    if turn is None and not ctx.replies:
        turn = Turn(ctx.inbound.text, read(ctx.inbound.text), focus)
    if turn is not None:
        _run(ctx, uow, turn, actions, role, unclear)
    memory.seen_in(ctx, focus, [r.text for r in ctx.replies])
    memory.save(ctx, focus)


def _answering(ctx: Ctx, pending: memory.Pending, focus: memory.Focus, read: Reader) -> Turn | None:
    """The answer to the question asked last time, as the turn it completes; None when it is no answer."""
    text = ctx.inbound.text.strip()
    chosen = pending.options.get(text)
    if pending.kind == "confirm":
        if chosen == "no" or (chosen is None and is_negative(text)):
            ctx.say(wording.NO_CHANGE)
            return None
        if chosen != "yes" and not is_affirmative(text):
            return None
        return Turn(pending.text, _forced(read(pending.text), pending.intent), focus, pending.fill, True)
    if chosen is None:
        chosen = next((v for v in pending.options.values() if v.lower() == text.lower()), None)
    if chosen is None:
        return None
    if pending.kind == "guess":
        return Turn(pending.text, _forced(read(pending.text), chosen), focus, pending.fill)
    return Turn(pending.text, _forced(read(pending.text), pending.intent), focus, {**pending.fill, pending.slot: chosen})


def _forced(reading: Reading, intent: str) -> Reading:
    return replace(reading, intent=intent, confidence=1.0)


@dataclass(frozen=True)
class Decision:
    """What a reading leads to: act on one intent, ask back with the intents as buttons (one: a
    confirmation), or "answer" (nothing was read: the role's own reply, a new report or 没看懂)."""

    does: str
    intents: tuple[str, ...] = ()


def decide(reading: Reading, role: str, known: Collection[str], confirmed: bool = False) -> Decision:
    """The one rule: act only on a clear reading (or a leading one that only shows something),
    and on a risky one only when sure or confirmed."""
    if reading.intent in known and intents.leads(reading):
        spec = intents.spec_of(role, reading.intent or "")
        unsure = spec is not None and spec.risky and not intents.surely(reading) and not confirmed
        return Decision("ask" if unsure else "act", (reading.intent or "",))
    likely = tuple(dict.fromkeys(i for i in (reading.intent, reading.runner_up)
                                 if i is not None and i in known and intents.spec_of(role, i)))
    return Decision("ask", likely) if likely else Decision("answer")


def _run(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn, actions: dict[str, Action], role: str,
         unclear: Unclear) -> None:
    decision = decide(turn.reading, role, actions, turn.confirmed)
    specs = [s for i in decision.intents if (s := intents.spec_of(role, i))]
    if decision.does == "ask":
        _guess(ctx, turn, specs, role)
        return
    if decision.does == "answer":
        _unclear(ctx, uow, turn, actions, role, unclear)
        return
    try:
        actions[turn.intent](ctx, uow, turn)
    except Several as several:
        uow.rollback()
        options = {n: n for n in several.numbers}
        _ask(ctx, turn, memory.Pending(turn.text, turn.intent, "choose", options, "number", dict(turn.fill)),
             wording.which_ticket(several.numbers), list(options))
    except Choose as choose:
        uow.rollback()
        _ask(ctx, turn, memory.Pending(turn.text, turn.intent, "choose", choose.options, choose.slot,
                                       dict(turn.fill)), choose.question, list(choose.options))
    except Refused as polite:  # the refusal is the answer; what the person sees stays, the change does not
        uow.rollback()
        ctx.say(str(polite))


def _unclear(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn, actions: dict[str, Action], role: str,
             unclear: Unclear) -> None:
    """Nothing was read: the role's likeliest intents as buttons, unless its fallback answered itself."""
    said = len(ctx.replies)
    offered = [s for i in unclear(ctx, uow, turn) if i in actions and (s := intents.spec_of(role, i))]
    if offered:
        _guess(ctx, turn, offered[:2], role, wording.not_understood)
    elif len(ctx.replies) == said:
        ctx.say(wording.not_understood([]))


def _guess(ctx: Ctx, turn: Turn, specs: Sequence[IntentSpec], role: str,
           say: Callable[[Sequence[str]], str] = wording.guess) -> None:
    options = {s.label: s.name for s in specs}
    _ask(ctx, turn, memory.Pending(turn.text, turn.intent, "guess", options, fill=dict(turn.fill)),
         say(list(options)), list(options))


def awaiting_answer(ctx: Ctx) -> bool:
    """A question with buttons was asked and is still fresh: the next message may be its answer."""
    return memory.fresh(ctx, memory.load(ctx).pending) is not None


def other_roles_command(role: str) -> Action:
    """Another role's command typed here: whose it is and what this person can say, not a refusal."""
    def run(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
        typed = commands.parse(turn.text, ctx.desk.rules.number_prefix)
        ctx.say(wording.other_role(commands.word(turn.text), typed.verb if typed else "", role))
    return run


def reader(ctx: Ctx, role: str, states: Sequence[str] = (), people: dict[str, tuple[str, ...]] | None = None) -> Reader:
    """How this person's messages are read: their role's table, their tickets' states, the roster."""
    return reader_for(role, ctx.desk.rules.number_prefix, ctx.now.astimezone(ctx.desk.rules.tz), states, people,
                      extra_phrasings(ctx))


def _typed(text: str, prefix: str) -> commands.Command | None:
    """The command a message is written as: its word stands alone ("完工 换软管", "催单BX…", "客户");
    a word run on into a sentence ("客户来电说地板起鼓了") only starts the sentence."""
    word = commands.word(text)
    if not word or _IDEOGRAPH.match(normalize(text)[len(word):len(word) + 1]):
        return None
    return commands.parse(text, prefix)


_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")


def reader_for(role: str, prefix: str, now: datetime, states: Sequence[str] = (),
               people: dict[str, tuple[str, ...]] | None = None, extra: tuple[Phrasing, ...] = ()) -> Reader:
    """The reader without a chat around it: what the understanding corpus is judged with."""
    def read(text: str) -> Reading:
        reading = intents.read(role, text, prefix, people, states, now, extra)
        typed = _typed(text, prefix)
        if typed and not intents.spec_of(role, typed.verb) and intents.spec_of(role, "staff") \
                and not intents.clear(reading):
            return replace(reading, intent="staff", confidence=1.0)  # another role's command, typed as such
        # A message written the old way ("完工 换软管 配件:P-HOSE x1") is read as the command it starts
        # with when the words alone leave it open; a clear reading ("取消预约") is never overruled.
        if typed and intents.spec_of(role, typed.verb) and not reading.question and not intents.clear(reading):
            return replace(reading, intent=typed.verb, confidence=1.0)
        return reading
    return read
