"""The facts a report's form collects: each with how to tell it is there and the parser of its answer.

Whatever facts a message carries are taken (`take`), whichever question was asked; the asked fact's
parser then takes what is left of the message. The questions themselves are in handlers.form_texts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain import texts
from domain.calendar import holiday_name
from domain.model import mask_phone
from domain.rules import Rules
from handlers import form_texts as say
from handlers import purchase_match
from handlers.base import Ctx
from handlers.dialog_store import Draft
from handlers.dialog_words import HOUSE_PART, NO_ROOM, PHONE_LABEL, VISIT, Heard, catalog
from handlers.extract import Window, hazard, is_past, match_products, parse_when
from handlers.text import find_phone
from storage.uow import SqlUnitOfWork

ADDRESS_PARTS = purchase_match.ADDRESS_PARTS


@dataclass(frozen=True)
class Fact:
    name: str
    question: str
    has: Callable[[Draft], bool]
    parse: Callable[[Draft, Heard], str | None]     # the asked fact takes the answer; a problem to say back
    correct: Callable[[Draft, Heard], bool]         # at the summary: replaces the fact if the message names it


def _has_product(d: Draft) -> bool:
    return bool(d.facts.get("product") or d.facts.get("product_text"))


def _has_address(d: Draft) -> bool:
    f = d.facts
    if d.type == "inspection" and f.get("community"):
        return True
    # A building without a room is not an address a technician can find.
    return bool(f.get("room") or f.get("no_room"))


def _parse_product(d: Draft, heard: Heard) -> str | None:
    words = heard.leftover
    if words and not heard.found.products and not _has_product(d):
        # not in the catalogue: the words are kept so the technician knows what it is
        d.facts["product_text"] = words[:40]
        heard.taken.append(words[:40])
    if "description" not in d.facts and len(words) >= 4:
        d.facts["description"] = words[:500]
    return None


def _parse_description(d: Draft, heard: Heard) -> str | None:
    words = heard.leftover
    if len(words) >= 2 and "description" not in d.facts:
        d.facts["description"] = words[:500]
    return None


def _parse_address(d: Draft, heard: Heard) -> str | None:
    f, found = d.facts, heard.found
    if found.bare_room and not f.get("room") and not found.phone:
        f["room"] = found.bare_room
        heard.taken.append(f"{found.bare_room}室")
        return None
    words = heard.text.strip("。.！!，, ")
    if words in NO_ROOM and (f.get("building") or f.get("community")):
        f["no_room"] = "1"
        return None
    if wants_community(d) and not found.community and heard.leftover and not found.products:
        # No community we serve: the owner's own words (a street, a landmark) are the address.
        f["landmark"] = heard.leftover[:60]
        heard.taken.append(heard.leftover[:60])
    return None


def _parse_phone(d: Draft, heard: Heard) -> str | None:
    phone = heard.found.phone or find_phone(heard.text)
    if phone is None:
        return None if heard.taken else say.BAD_PHONE
    d.facts["phone"] = phone
    return None


def _parse_when(d: Draft, heard: Heard) -> str | None:
    if "when_start" in d.facts and d.asking != "when_holiday":
        return None
    window = parse_when(heard.text, heard.now)
    if window is None and heard.taken:
        return None
    if window is None:
        return say.PAST_TIME if is_past(heard.text, heard.now) else say.BAD_TIME
    take_window(d, window, heard)
    return None


def take_window(d: Draft, window: Window, heard: Heard) -> None:
    d.facts["when_start"], d.facts["when_end"] = window.start.isoformat(), window.end.isoformat()
    d.facts.pop("holiday_ok", None)
    name = holiday_name(window.start.date())
    if name:
        d.facts["holiday"] = name
    else:
        d.facts.pop("holiday", None)
    heard.taken.append(f"上门时间 {texts.window(window.start, window.end, window.start.tzinfo)}")  # type: ignore[arg-type]


def _correct_product(d: Draft, heard: Heard) -> bool:
    found, f = heard.found, d.facts
    if not found.products or f.get("product") == found.products[0].sku:
        return False
    if "asset" in f and not found.retracted:
        return False   # the customer's own purchase stands unless the owner says it is not that one
    f["product"], f["product_said"] = found.products[0].sku, found.description[:60]
    for key in ("product_text", "alternatives", "asset"):
        f.pop(key, None)
    return True


def _correct_description(d: Draft, heard: Heard) -> bool:
    """More about the fault ("另外水箱也在响") is added to the description."""
    words = heard.leftover
    if not heard.found.ticket_type or len(words) < 4 or heard.found.retracted:
        return False
    d.facts["description"] = f"{d.facts.get('description', '')}；{words}".strip("；")[:500]
    return True


def _correct_address(d: Draft, heard: Heard) -> bool:
    keys = (*ADDRESS_PARTS, "landmark")
    before = [d.facts.get(k) for k in keys]
    _take_address(d, heard)
    if heard.found.bare_room and not heard.found.phone:
        d.facts["room"] = heard.found.bare_room   # "不对 是502"
    return before != [d.facts.get(k) for k in keys]


def _correct_phone(d: Draft, heard: Heard) -> bool:
    phone = heard.found.phone
    if not phone or phone == d.facts.get("phone"):
        return False
    d.facts["phone"] = phone
    return True


def _correct_when(d: Draft, heard: Heard) -> bool:
    """"今天下午两点半" at the summary is the visit time; a date inside a story about the fault is not."""
    if d.type in texts.NO_VISIT or (heard.found.ticket_type and not VISIT.search(heard.text)):
        return False
    window = parse_when(heard.text, heard.now)
    if window is None:
        return False
    take_window(d, window, heard)
    return True


FACTS: dict[str, Fact] = {
    "product": Fact("product", say.QUESTIONS["product"], _has_product, _parse_product, _correct_product),
    "description": Fact("description", say.QUESTIONS["description"], lambda d: bool(d.facts.get("description")),
                        _parse_description, _correct_description),
    "address": Fact("address", say.QUESTIONS["address"], lambda d: _has_address(d) and not wants_community(d),
                    _parse_address, _correct_address),
    "phone": Fact("phone", say.QUESTIONS["phone"], lambda d: bool(d.facts.get("phone")), _parse_phone,
                  _correct_phone),
    "when": Fact("when", say.QUESTIONS["when"], lambda d: bool(d.facts.get("when_start")), _parse_when,
                 _correct_when),
}


def correct(ctx: Ctx, draft: Draft, heard: Heard) -> list[str]:
    """The facts a message at the summary changed; the description only when nothing else was named."""
    changed = [name for name, fact in FACTS.items() if name != "description" and fact.correct(draft, heard)]
    if _take_urgency(ctx.desk.rules, draft, heard):
        changed.append("priority")
    if not changed and FACTS["description"].correct(draft, heard):
        changed.append("description")
    return changed


def wants_community(d: Draft) -> bool:
    """An address with no community we serve and no landmark: the technician could not find it."""
    f = d.facts
    return bool((f.get("building") or f.get("room")) and not f.get("community") and not f.get("landmark")
                and f.get("communities_known"))


def take(ctx: Ctx, draft: Draft, heard: Heard, take_description: bool) -> None:
    """Every fact the message carries goes into the draft, whatever was asked."""
    f, found = draft.facts, heard.found
    if found.products and "product" not in f:
        heard.taken.append(found.category or "产品")
        f["product"], f["product_said"] = found.products[0].sku, found.description[:60]
        f.pop("product_text", None)
    _take_address(draft, heard)
    labelled = bool(PHONE_LABEL.search(heard.text))
    if found.phone and (draft.for_desk or labelled or "phone" not in f or draft.asking == "phone"):
        if f.get("phone") != found.phone:
            heard.taken.append(f"电话 {mask_phone(found.phone)}")
        f["phone"] = found.phone
    if take_description and found.description and len(found.description) >= 2:
        f["description"] = found.description[:500]
    elif "description" not in f and found.ticket_type and len(heard.leftover) >= 4:
        f["description"] = heard.leftover[:500]   # the fault told while something else was asked
    _take_urgency(ctx.desk.rules, draft, heard)
    visits = draft.type not in texts.NO_VISIT
    if visits and draft.asking not in ("when", "when_holiday") and VISIT.search(heard.text):
        window = parse_when(heard.text, heard.now)
        if window is not None:
            take_window(draft, window, heard)


def _take_address(draft: Draft, heard: Heard) -> None:
    f, found = draft.facts, heard.found
    said = [(part, getattr(found, part)) for part in ADDRESS_PARTS if getattr(found, part)]
    if not said and not (found.bare_room and (f.get("building") or f.get("community"))):
        return
    if found.community and found.community != f.get("community"):
        f.pop("landmark", None)
        if not (found.building or found.room or found.unit):
            heard.taken.append(found.community)
    for part, value in said:
        f[part] = value
    if found.bare_room and not found.room and not found.phone and not f.get("room") and \
            (f.get("building") or f.get("community")):
        f["room"] = found.bare_room    # "1203" after "2栋": the room of the address begun
        heard.taken.append(address_line(f))
    if found.building or found.room or found.unit:
        f.pop("no_room", None)
        heard.taken.append(address_line(f))


def _take_urgency(rules: Rules, draft: Draft, heard: Heard) -> bool:
    """Read again on every message: a hazard told later raises the draft's priority (never lowers it)."""
    found = hazard(heard.found.description)
    if not found or draft.priority == rules.urgent_priority:
        return False
    draft.priority = rules.urgent_priority
    draft.facts["hazard"] = found
    return True


def refine_product(uow: SqlUnitOfWork, draft: Draft, heard: Heard) -> None:
    """"热水器", then "燃气的": a later word that tells the products of the category apart refines the guess."""
    f = draft.facts
    if heard.found.products or not f.get("product_said") or "asset" in f or not heard.leftover:
        return
    items = catalog(uow)
    category = {i.sku: i.category for i in items}
    better = match_products(f"{f['product_said']} {heard.leftover}", items)
    if better and better[0].sku != f["product"] and category[better[0].sku] == category.get(f["product"]):
        f["product"] = better[0].sku
        f.pop("alternatives", None)


def missing(rules: Rules, draft: Draft) -> str | None:
    form = rules.ticket_types[draft.type].form
    if draft.for_desk and "phone" not in form:
        form = (*form, "phone")
    if any(part in draft.facts for part in ("building", "room", "community")) and "address" not in form \
            and draft.type != "complaint":
        form = (*form, "address")     # an address begun is finished, even where the form does not need one
    # In an emergency (a burst pipe), or a fault told at length with no product of ours in it (卫生间墙角渗水),
    # the description is enough: the technician sees what it is.
    urgent = draft.priority == rules.urgent_priority and bool(draft.facts.get("description"))
    told = bool(HOUSE_PART.search(draft.facts.get("description", ""))) and draft.type == "repair"
    for name in form:
        if not FACTS[name].has(draft) and not (name == "product" and (urgent or told)):
            return name
    if draft.facts.get("holiday") and not draft.facts.get("holiday_ok"):
        return "when_holiday"
    return None


def address_line(f: dict[str, str]) -> str:
    parts = [f.get("community") or f.get("landmark", ""), f.get("building") and f"{f['building']}栋",
             f.get("unit") and f"{f['unit']}单元", f.get("room") and f"{f['room']}室"]
    return "".join(p for p in parts if p)
