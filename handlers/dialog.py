"""The report dialog as a table: the steps a report goes through and what each does with a message.

Steps (handlers.dialog_store.Step): ASKING (a fact of the form is missing; its question is out),
CHOOSING (which of the customer's purchases), CONFIRMING (the summary is out: yes, a correction or a
cancel), DONE (the ticket was just made: what follows about it leaves the form, handlers.dialog_done),
TIMED_OUT (left too long; the draft is dropped and the owner told). The facts and their parsers are
the table in handlers.dialog_facts; all the wording is in handlers.form_texts.

Every message of an open draft is read whole: whatever facts it carries are taken, whichever
question was asked, and the priority is read again; then the asked fact's parser takes what is
left. Cancel forms end the form at every step.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from domain import texts
from domain.model import mask_phone
from domain.rules import Rules
from handlers import form_texts as say
from handlers import purchase_match, returning, same_problem, smalltalk
from handlers.base import Ctx
from handlers.catalog_cache import community_names
from handlers.dialog_done import create
from handlers.dialog_facts import FACTS, address_line, correct, missing, refine_product, take, wants_community
from handlers.dialog_store import Draft, Step, save
from handlers.dialog_words import (ONLY_INTENT, WORDLESS, Heard, is_cancel, is_go_ahead, is_yes, looks_like_report,
                                   read, yes_and)
from handlers.extract import Extracted, hazard
from handlers.text import normalize
from storage.uow import SqlUnitOfWork


ADDRESS_PARTS = purchase_match.ADDRESS_PARTS


def _hear(ctx: Ctx, uow: SqlUnitOfWork, text: str) -> Heard:
    return Heard(text, read(uow, text), ctx.now.astimezone(ctx.desk.rules.tz))


def start(ctx: Ctx, uow: SqlUnitOfWork, found: Extracted, for_desk: bool = False) -> None:
    rules = ctx.desk.rules
    draft = Draft(_type_for(found, rules), rules.default_priority, for_desk=for_desk)
    if community_names(uow):
        draft.facts["communities_known"] = "1"
    if ctx.phone and not for_desk:
        draft.facts["phone"] = ctx.phone
    heard = Heard(found.text, found, ctx.now.astimezone(rules.tz))
    take(ctx, draft, heard, take_description=not ONLY_INTENT.match(found.description))
    purchase_match.match(ctx, uow, draft, found)
    returning.take_last_address(ctx, uow, draft)
    _advance(ctx, uow, draft, heard)


def start_with_photo(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    """A photo before any words: kept in a draft that waits for the words."""
    rules = ctx.desk.rules
    draft = Draft(rules.default_type, rules.default_priority, photos=[ctx.inbound.media or ""])
    if community_names(uow):
        draft.facts["communities_known"] = "1"
    if ctx.phone:
        draft.facts["phone"] = ctx.phone
    draft.asking = "opening"
    save(ctx, draft)
    ctx.say(say.PHOTO_FIRST)


def proceed(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    """The next message of an open form."""
    if ctx.phone and "phone" not in draft.facts and not draft.for_desk:
        draft.facts["phone"] = ctx.phone   # a prefilled draft was started before we knew who wrote
    if ctx.inbound.media:
        draft.photos.append(ctx.inbound.media)
        ctx.say(say.PHOTO_NOTED)
        _advance(ctx, uow, draft)
        return
    if is_cancel(text):
        save(ctx, None)
        ctx.say(say.CANCELLED)
        return
    STEPS[Step(draft.step)](ctx, uow, draft, text)


def _asking(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    if draft.asking == "opening":   # the words after a photo: the report itself
        found = read(uow, text)
        if looks_like_report(found) or len(found.description) >= 2:
            draft.type = _type_for(found, ctx.desk.rules)
            heard = Heard(text, found, ctx.now.astimezone(ctx.desk.rules.tz))
            take(ctx, draft, heard, take_description=True)
            purchase_match.match(ctx, uow, draft, found)
        _advance(ctx, uow, draft)
        return
    if _answers_nothing(draft, text):
        _advance(ctx, uow, draft)  # "确认" / "你好" / "😀" answer nothing: the same question again
        return
    if draft.asking == "when_holiday" and is_yes(text):
        draft.facts["holiday_ok"] = "1"
        _advance(ctx, uow, draft)
        return
    heard = _hear(ctx, uow, text)
    take(ctx, draft, heard, take_description=False)
    refine_product(uow, draft, heard)
    asked = FACTS.get("when" if draft.asking == "when_holiday" else draft.asking or "")
    problem = asked.parse(draft, heard) if asked else None
    if problem:
        save(ctx, draft)
        ctx.say(problem)
        return
    purchase_match.match(ctx, uow, draft, heard.found)
    _advance(ctx, uow, draft, heard)


def _choosing(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    problem = purchase_match.choose(ctx, uow, draft, text)
    if problem:
        save(ctx, draft)
        ctx.say(problem)
        return
    draft.step = Step.ASKING
    _advance(ctx, uow, draft)


def _confirming(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    if is_yes(text):
        _create(ctx, uow, draft)
    elif yes_and(text):   # "可以 麻烦尽快": a yes, and what follows it is taken too
        correct(ctx, draft, _hear(ctx, uow, yes_and(text)))
        _create(ctx, uow, draft)
    elif is_go_ahead(text):   # "快点" / "你们看怎么处理吧" to the summary: submit it
        _create(ctx, uow, draft)
    elif purchase_match.pick_alternative(uow, draft, text):
        _advance(ctx, uow, draft)
    elif normalize(text).startswith(("修改", "重新", "重填")):
        keep = {k: v for k, v in draft.facts.items() if k == "communities_known"
                or (k == "phone" and not draft.for_desk)}
        draft.facts, draft.step = keep, Step.ASKING
        _advance(ctx, uow, draft)
    else:
        _correct(ctx, uow, draft, text)


def _create(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    """The ticket, unless the owner has one open on the same product: then asked first."""
    if not same_problem.ask(ctx, uow, draft):
        create(ctx, uow, draft)


def _correct(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    """A correction ("不对，是502", "不是马桶 是洗手池", "换成滨江壹号", "电话139…") replaces what it names."""
    heard = _hear(ctx, uow, text)
    changed = correct(ctx, draft, heard)
    if changed:
        if changed == ["description"]:
            ctx.say(say.ADDED_DETAIL)
        purchase_match.match(ctx, uow, draft, heard.found)
        _advance(ctx, uow, draft)
        return
    save(ctx, draft)
    plain_no = normalize(text).strip("。.！!，, ") in ("不对", "不是", "错了", "不正确", "有问题", "不对的")
    ctx.say(say.WHAT_IS_WRONG if plain_no else say.NOTHING_TO_CHANGE, say.CONFIRM_BUTTONS)


STEPS: dict[Step, Callable[[Ctx, SqlUnitOfWork, Draft, str], None]] = {
    Step.ASKING: _asking,
    Step.CHOOSING: _choosing,
    Step.CONFIRMING: _confirming,
    Step.SAME_PROBLEM: same_problem.answer,
}


def _answers_nothing(draft: Draft, text: str) -> bool:
    """Only punctuation or emoji, a greeting or thanks, or a yes or a digit where a product or description
    is asked."""
    if WORDLESS.fullmatch(text.strip()) or smalltalk.kind(text):
        return True
    # a lone digit is a stray rating or button number, never a product or what went wrong
    short = is_yes(text) or (text.strip().isdigit() and len(text.strip()) <= 2)
    return draft.asking in ("product", "description") and short


def _advance(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, heard: Heard | None = None) -> None:
    if "choices" in draft.facts:
        draft.asking, draft.step = "choice", Step.CHOOSING
        save(ctx, draft)
        ctx.say(purchase_match.choice_question(ctx, uow, draft), purchase_match.choice_buttons(draft))
        return
    fact = missing(ctx.desk.rules, draft)
    draft.asking, draft.step = fact, (Step.ASKING if fact else Step.CONFIRMING)
    save(ctx, draft)
    if fact is None:
        ctx.say(_summary(ctx, uow, draft), say.CONFIRM_BUTTONS)
        return
    examples = list(community_names(uow)[:3])
    ctx.say(_noted(ctx, draft, heard) + _question(ctx, draft, fact, examples), _buttons(fact))


def _noted(ctx: Ctx, draft: Draft, heard: Heard | None) -> str:
    if heard is None:
        return ""
    lines = say.NOTED.format(what="，".join(dict.fromkeys(heard.taken))) if heard.taken else ""
    if "hazard" in draft.facts and hazard(heard.found.description):
        lines += say.URGENT_NOTED.format(hazard=say.HAZARDS.get(draft.facts["hazard"], "紧急"))
    return lines + ("\n" if lines else "")


def _buttons(fact: str) -> tuple[str, ...]:
    return say.HOLIDAY_BUTTONS if fact == "when_holiday" else ()


def _question(ctx: Ctx, draft: Draft, fact: str, communities: list[str]) -> str:
    f = draft.facts
    if fact == "when_holiday":
        start, end = datetime.fromisoformat(f["when_start"]), datetime.fromisoformat(f["when_end"])
        return say.HOLIDAY.format(day=texts.window(start, end, ctx.desk.rules.tz), name=f["holiday"])
    if draft.for_desk and fact == "phone":
        return say.DESK_PHONE
    if fact == "address" and wants_community(draft):
        return say.COMMUNITY.format(examples="、".join(communities))
    if fact == "address" and (f.get("building") or f.get("community") or f.get("landmark")):
        return say.ROOM
    if fact == "description" and draft.type == "complaint":
        return say.COMPLAINT_DETAILS
    return FACTS[fact].question


def _summary(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> str:
    rules, f = ctx.desk.rules, draft.facts
    product = uow.catalog.product(f["product"]) if f.get("product") else None
    lines = [say.SUMMARY_HEAD, f"类型：{rules.type_name(draft.type)}（{rules.priority_name(draft.priority)}）"]
    if product or f.get("product_text"):
        lines.append(f"产品：{product.name if product else f['product_text']}")
    if f.get("description"):
        lines.append(f"描述：{f['description']}")
    address = address_line(f)
    if address:
        lines.append(f"地址：{address}" + (say.LAST_ADDRESS if returning.from_last(f) else ""))
    if f.get("when_start"):
        start, end = datetime.fromisoformat(f["when_start"]), datetime.fromisoformat(f["when_end"])
        lines.append(f"期望上门：{texts.window(start, end, rules.tz)}")
    if f.get("phone"):
        lines.append(f"电话：{mask_phone(f['phone'])}")
    if draft.photos:
        lines.append(f"照片：{len(draft.photos)} 张")
    lines += purchase_match.alternatives_lines(uow, draft)
    lines += purchase_match.warranty_lines(ctx, uow, draft)
    if address and not f.get("community") and not f.get("landmark") and community_names(uow):
        lines.append(say.SUMMARY_ADD_COMMUNITY)
    lines.append(say.SUMMARY_TAIL)
    return "\n".join(lines)


def _type_for(found: Extracted, rules: Rules) -> str:
    if found.ticket_type in rules.ticket_types:
        return found.ticket_type
    for t in rules.ticket_types.values():
        if any(k in found.text for k in t.keywords):
            return t.code
    return rules.default_type
