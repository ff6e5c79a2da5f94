"""A draft begun before the owner says a word (a scanned 扫码报修 code), and what a draft says so far.

Both run outside a conversation turn (the platform's session events), so they take the desk and
the chat's address instead of a turn's context."""
from __future__ import annotations

from handlers import form_texts as say
from handlers.dialog_facts import FACTS, missing
from handlers.dialog_store import Draft, Step, keep, stored
from handlers.ports import Desk

_SHOWN = ("community", "building", "unit", "room", "product", "product_text", "description", "phone")


def prefill(desk: Desk, channel: str, sender: str, facts: dict[str, str]) -> str:
    """The facts go into the chat's draft; returns the question for the first fact still missing.
    An unknown SKU is left out rather than guessed."""
    with desk.uow() as uow:
        known = {k: v for k, v in facts.items() if k != "product" or uow.catalog.product(v) is not None}
    rules = desk.rules
    draft = stored(desk, channel, sender)
    if draft is None or draft.step == Step.DONE:
        draft = Draft(rules.default_type, rules.default_priority)
    draft.facts.update(known)
    draft.asking = missing(rules, draft) or "description"
    draft.step = Step.ASKING
    keep(desk, channel, sender, draft, desk.clock())
    if draft.asking == "address" and (draft.facts.get("building") or draft.facts.get("community")):
        return say.ROOM
    return FACTS[draft.asking].question


def draft_facts(desk: Desk, channel: str, sender: str) -> dict[str, str]:
    """What this person's unfinished report says so far (for a person taking over the chat)."""
    draft = stored(desk, channel, sender)
    if draft is None or draft.step == Step.DONE:
        return {}
    return {k: v for k, v in draft.facts.items() if k in _SHOWN}

