"""The report dialog as a table: the steps a report goes through and the facts its form collects.

Steps: ASKING (a fact of the form is missing; its question is out), CHOOSING (which of the customer's
purchases), CONFIRMING (the summary is out: yes, a correction or a cancel), DONE (the ticket was just
made: what follows about it leaves the form), TIMED_OUT (left too long; the draft is dropped).

Every message of an open draft is read whole: whatever facts it carries are taken, whichever
question was asked, and the priority is read again; then the asked fact's parser takes what is
left. Cancel forms end the form at every step.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum

from domain import texts
from domain.calendar import holiday_name
from domain import progress
from domain.model import Role, mask_phone
from domain.services import OpenTicket, open_ticket
from domain.rules import Rules
from handlers import form_texts as say
from handlers import purchase_match, smalltalk
from handlers.base import Ctx
from handlers.extract import CatalogItem, Extracted, extract, hazard, is_affirmative, match_products, parse_when
from handlers.extract.when import Window, is_past
from handlers.text import find_phone, normalize
from storage.kv import Keys
from storage.uow import SqlUnitOfWork

ADDRESS_PARTS = purchase_match.ADDRESS_PARTS
DONE_FOR = timedelta(minutes=30)      # how long "取消" / a photo / more detail means the ticket just made


class Step(StrEnum):
    ASKING = "asking"
    CHOOSING = "choosing"
    CONFIRMING = "confirming"
    DONE = "done"
    TIMED_OUT = "timed_out"


@dataclass
class Draft:
    type: str
    priority: str
    facts: dict[str, str] = field(default_factory=dict)
    asking: str | None = None
    step: str = Step.ASKING
    for_desk: bool = False
    touched: str = ""                 # ISO time of the last message, for TIMED_OUT
    photos: list[str] = field(default_factory=list)
    ticket: str = ""                  # DONE: the ticket made

    @property
    def confirming(self) -> bool:
        return self.step == Step.CONFIRMING


# ---- reading owners' words -------------------------------------------------------------------

_CANCEL = re.compile(r"^(?:那|那就|还是|我|我们|哦|额|嗯)?\s*(?:先|就)?\s*(?:算了|不报了|不修了|不用了|不要了|不需要了|"
                     r"不用修了|不用来了|不用上门了|取消|撤销|不弄了|不麻烦了|不搞了|cancel)")
# "好的 嗯嗯 提交吧": a yes in words people use; anything else left over (不, 但是…) makes it not a yes.
_YES_WORDS = sorted(("确认", "确定", "提交", "对", "是", "好", "行", "可以", "没错", "没问题", "嗯", "恩", "ok", "okay",
                     "yes", "yep", "正确", "就这样", "就这么办", "对头", "中", "妥", "好嘞", "好滴", "无误", "信息",
                     "麻烦", "谢谢", "了", "吧", "的", "啊", "呀", "哈", "哦", "噢", "那", "就", "都", "没", "吗",
                     "帮我", "你", "一下", "直接", "嘞", "啦", "去", "呗", "滴", "👍", "👌", "✅", "🙏", "收到",
                     "确认无误", "可", "係", "得", "好咧"), key=len, reverse=True)
_YES_RE = re.compile("|".join(re.escape(w) for w in _YES_WORDS))
_NOT_YES = re.compile(r"不|没有|别|错|改|换|但|不过|还有|还要")
_YES_DESPITE = re.compile(r"没错|没问题|不错|冇问题")   # yeses spelt with a 不 or 错 in them
_YES_DIALECT = ("要得", "系", "系啊", "好额", "对额", "是额", "得嘞", "妥了", "成", "de", "嗯呐", "中嘞")
_VISIT = re.compile(r"上门|过来|来修|来看|来一趟|来处理|在家|有人|有空|方便|预约|约在|约个|安排|时间|来吧|上午来|下午来|"
                    r"晚上来|能来|可以来|才在|才有人")
_NO_ROOM = ("公共区域", "没有房号", "无房号", "没有", "无", "楼道", "大堂", "公区", "电梯间", "地下室", "车库")
_WORDLESS = re.compile(r"[\W_]*")
_ONLY_INTENT = re.compile(r"^(?:我|我们)?(?:要|想|需要)?(?:投诉|报修|维修|退货|换货|退换货|安装|报个修)(?:一下|了)?$")
_FILLER = re.compile(r"^(?:嗯+|呃+|额+|那个|就是|然后|还有|对了|哦+|啊+|喂|你好|您好|在吗|麻烦|师傅|请问)+$")


# Parts of the house, not products we sell: a fault in one is reported without a product.
_HOUSE_PART = re.compile(r"墙|天花板|顶棚|吊顶|屋顶|楼板|地砖|瓷砖|管道|水管|下水管|暖气|电路|插座|开关|电线|灯|楼道|窗台|外墙|防水")
_PHONE_LABEL = re.compile(r"电话|手机|号码|联系|打我|打这个|call|tel", re.IGNORECASE)


def _yes_and(text: str) -> str:
    """"可以可以 麻烦尽快" -> "麻烦尽快": the rest after a yes in the first words, or "" when it is no yes."""
    head, _, rest = re.sub(r"[，,。.!！\s]+", " ", normalize(text)).strip().partition(" ")
    if not rest or not is_yes(head) or re.match(r"(?:但|不过|可是|就是|只是)", rest):
        return ""
    return rest


def is_cancel(text: str) -> bool:
    return bool(_CANCEL.match(normalize(text).lower()))


def is_yes(text: str) -> bool:
    norm = normalize(text).lower()
    if is_affirmative(norm):
        return True
    norm = _YES_DESPITE.sub("好", norm)
    if _NOT_YES.search(norm):
        return False
    for word in _YES_DIALECT:
        norm = re.sub(rf"(?<![a-z]){word}(?![a-z])", "好", norm)
    rest = _YES_RE.sub("", norm)
    return bool(_YES_RE.search(norm)) and not re.sub(r"[\W_]+", "", rest)


@dataclass(frozen=True)
class Heard:
    """One message as the dialog sees it."""

    text: str
    found: Extracted
    now: datetime
    taken: list[str] = field(default_factory=list)     # what it added to the draft, for the acknowledgement

    @property
    def leftover(self) -> str:
        """The words that are not an address, a phone or a filler."""
        words = self.found.description.strip()
        if _FILLER.match(words) or is_yes(words) or re.fullmatch(r"[\d\W_]*", words):
            return ""   # a stray number ("1203" already taken as the room) is no product or story
        return words


# ---- the facts of the form ---------------------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    name: str
    has: Callable[[Draft], bool]
    parse: Callable[[Draft, Heard], str | None]     # the asked fact takes the answer; a problem to say back


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
    if words in _NO_ROOM and (f.get("building") or f.get("community")):
        f["no_room"] = "1"
        return None
    if _wants_community(d) and not found.community and heard.leftover and not found.products:
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
    _take_window(d, window, heard)
    return None


def _take_window(d: Draft, window: Window, heard: Heard) -> None:
    d.facts["when_start"], d.facts["when_end"] = window.start.isoformat(), window.end.isoformat()
    d.facts.pop("holiday_ok", None)
    name = holiday_name(window.start.date())
    if name:
        d.facts["holiday"] = name
    else:
        d.facts.pop("holiday", None)
    heard.taken.append(f"上门时间 {texts.window(window.start, window.end, window.start.tzinfo)}")  # type: ignore[arg-type]


FACTS: dict[str, Fact] = {
    "product": Fact("product", _has_product, _parse_product),
    "description": Fact("description", lambda d: bool(d.facts.get("description")), _parse_description),
    "address": Fact("address", lambda d: _has_address(d) and not _wants_community(d), _parse_address),
    "phone": Fact("phone", lambda d: bool(d.facts.get("phone")), _parse_phone),
    "when": Fact("when", lambda d: bool(d.facts.get("when_start")), _parse_when),
}


def _wants_community(d: Draft) -> bool:
    """An address with no community we serve and no landmark: the technician could not find it."""
    f = d.facts
    return bool((f.get("building") or f.get("room")) and not f.get("community") and not f.get("landmark")
                and f.get("communities_known"))


# ---- storage ---------------------------------------------------------------------------------

def _raw(ctx: Ctx) -> Draft | None:
    raw = ctx.desk.store.get(Keys.dialog(ctx.inbound.channel, ctx.inbound.sender))
    if not raw:
        return None
    try:
        data = json.loads(raw)
        known = {f.name for f in fields(Draft)}
        return Draft(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError):  # a draft from an older release: start afresh rather than fail
        return None


def _age(ctx: Ctx, draft: Draft) -> timedelta:
    return ctx.now - datetime.fromisoformat(draft.touched) if draft.touched else timedelta(0)


def load(ctx: Ctx) -> Draft | None:
    """The open form (ASKING, CHOOSING, CONFIRMING), or None."""
    draft = _raw(ctx)
    if draft is None or draft.step == Step.DONE or _age(ctx, draft) > ctx.desk.dialog_ttl:
        return None
    return draft


def just_made(ctx: Ctx) -> str | None:
    """The ticket this chat made a moment ago (the DONE step), or None."""
    draft = _raw(ctx)
    if draft is None or draft.step != Step.DONE or _age(ctx, draft) > DONE_FOR:
        return None
    return draft.ticket or None


def timed_out(ctx: Ctx) -> bool:
    """A form left open longer than the dialog's time (TIMED_OUT): the next message is told so once."""
    draft = _raw(ctx)
    if draft is None or draft.step == Step.DONE or _age(ctx, draft) <= ctx.desk.dialog_ttl:
        return False
    save(ctx, None)
    return True


def save(ctx: Ctx, draft: Draft | None) -> None:
    key = Keys.dialog(ctx.inbound.channel, ctx.inbound.sender)
    if draft is None:
        ctx.desk.store.delete(key)
        return
    draft.touched = ctx.now.isoformat()
    # Kept past the dialog's time so the next message can be told the draft timed out.
    ttl = ctx.desk.dialog_ttl + max(ctx.desk.dialog_ttl, DONE_FOR)
    ctx.desk.store.set(key, json.dumps(asdict(draft), ensure_ascii=False), ttl=ttl)


# ---- reading a message -----------------------------------------------------------------------

def catalog(uow: SqlUnitOfWork) -> list[CatalogItem]:
    return [CatalogItem(p.sku, p.name, p.category, p.aliases) for p in uow.catalog.products()]


def read(uow: SqlUnitOfWork, text: str) -> Extracted:
    return extract(text, catalog(uow), [c.name for c in uow.places.communities()])


def looks_like_report(found: Extracted) -> bool:
    """A fault, a product, or part of an address: enough to open a draft and ask for the rest."""
    return bool(found.products or found.ticket_type or found.room or found.category or found.urgent
                or found.community or found.building or found.unit)


_MORE = re.compile(r"^(?:而且|另外|还有|现在|已经|又|还是|还在|越来越|更)")
_FOLLOW_UP = re.compile(r"^(?:怎么|咋|为什么|为啥)?(?:还是|又|仍然|依然|还在|还|一直还)")


def follows_up(found: Extracted) -> bool:
    """"还是在漏", "又坏了": about something already reported, unless a product or place is named."""
    named = found.products or found.community or found.building or found.room or found.unit
    return bool(_FOLLOW_UP.match(found.text)) and not named


def _hear(ctx: Ctx, uow: SqlUnitOfWork, text: str) -> Heard:
    return Heard(text, read(uow, text), ctx.now.astimezone(ctx.desk.rules.tz))


# ---- steps -----------------------------------------------------------------------------------

def start(ctx: Ctx, uow: SqlUnitOfWork, found: Extracted, for_desk: bool = False,
          photos: tuple[str, ...] = ()) -> None:
    rules = ctx.desk.rules
    draft = Draft(_type_for(found, rules), rules.default_priority, for_desk=for_desk, photos=list(photos))
    if uow.places.communities():
        draft.facts["communities_known"] = "1"
    if ctx.phone and not for_desk:
        draft.facts["phone"] = ctx.phone
    heard = Heard(found.text, found, ctx.now.astimezone(rules.tz))
    _take(ctx, draft, heard, take_description=not _ONLY_INTENT.match(found.description))
    purchase_match.match(ctx, uow, draft, found)
    _advance(ctx, uow, draft, heard)


def start_with_photo(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    """A photo before any words: kept in a draft that waits for the words."""
    rules = ctx.desk.rules
    draft = Draft(rules.default_type, rules.default_priority, photos=[ctx.inbound.media or ""])
    if uow.places.communities():
        draft.facts["communities_known"] = "1"
    if ctx.phone:
        draft.facts["phone"] = ctx.phone
    draft.asking = "opening"
    save(ctx, draft)
    ctx.say(say.PHOTO_FIRST)


def proceed(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    """The next message of an open form."""
    if ctx.inbound.media:
        draft.photos.append(ctx.inbound.media)
        ctx.say(say.PHOTO_NOTED)
        _advance(ctx, uow, draft, quiet_summary=draft.step == Step.CONFIRMING)
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
            _take(ctx, draft, heard, take_description=True)
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
    _take(ctx, draft, heard, take_description=False)
    _refine_product(uow, draft, heard)
    asked = FACTS.get("when" if draft.asking == "when_holiday" else draft.asking or "")
    problem = asked.parse(draft, heard) if asked else None
    if problem:
        save(ctx, draft)
        ctx.say(problem)
        return
    purchase_match.match(ctx, uow, draft, heard.found)
    _advance(ctx, uow, draft, heard)


def _refine_product(uow: SqlUnitOfWork, draft: Draft, heard: Heard) -> None:
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
    elif _yes_and(text):   # "可以 麻烦尽快": a yes, and what follows it is taken too
        _take(ctx, draft, _hear(ctx, uow, _yes_and(text)), take_description=False, correcting=True)
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


def _correct(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    """A correction ("不对，是502", "不是马桶 是洗手池", "换成滨江壹号", "电话139…") replaces what it names."""
    heard = _hear(ctx, uow, text)
    before = dict(draft.facts), draft.priority
    _take(ctx, draft, heard, take_description=False, correcting=True)
    found = heard.found
    if found.bare_room and not found.phone:
        draft.facts["room"] = found.bare_room
    if (dict(draft.facts), draft.priority) == before and draft.type not in texts.NO_VISIT:
        window = parse_when(heard.text, heard.now)   # "今天下午两点半" at the summary: the visit time
        if window is not None:
            _take_window(draft, window, heard)
    if (dict(draft.facts), draft.priority) != before:
        purchase_match.match(ctx, uow, draft, found)
        _advance(ctx, uow, draft)
        return
    words = heard.leftover
    if found.ticket_type and len(words) >= 4 and not found.retracted:
        draft.facts["description"] = f"{draft.facts.get('description', '')}；{words}".strip("；")[:500]
        ctx.say(say.ADDED_DETAIL)
        _advance(ctx, uow, draft)
        return
    save(ctx, draft)
    plain_no = normalize(text).strip("。.！!，, ") in ("不对", "不是", "错了", "不正确", "有问题", "不对的")
    ctx.say(say.WHAT_IS_WRONG if plain_no else say.NOTHING_TO_CHANGE, say.CONFIRM_BUTTONS)


STEPS: dict[Step, Callable[[Ctx, SqlUnitOfWork, Draft, str], None]] = {
    Step.ASKING: _asking,
    Step.CHOOSING: _choosing,
    Step.CONFIRMING: _confirming,
}


def _answers_nothing(draft: Draft, text: str) -> bool:
    """Only punctuation or emoji, a greeting or thanks, or a yes or a digit where a product or description
    is asked."""
    if _WORDLESS.fullmatch(text.strip()) or smalltalk.kind(text):
        return True
    # a lone digit is a stray rating or button number, never a product or what went wrong
    short = is_yes(text) or (text.strip().isdigit() and len(text.strip()) <= 2)
    return draft.asking in ("product", "description") and short


# ---- taking facts ----------------------------------------------------------------------------

def _take(ctx: Ctx, draft: Draft, heard: Heard, take_description: bool, correcting: bool = False) -> None:
    """Every fact the message carries goes into the draft, whatever was asked."""
    f, found = draft.facts, heard.found
    if found.products and ("product" not in f or (correcting and (found.retracted or "asset" not in f))):
        if f.get("product") != found.products[0].sku:
            heard.taken.append(found.category or "产品")
        f["product"], f["product_said"] = found.products[0].sku, found.description[:60]
        for key in ("product_text", "alternatives", *(("asset",) if correcting else ())):
            f.pop(key, None)
    _take_address(draft, heard)
    labelled = bool(_PHONE_LABEL.search(heard.text))
    if found.phone and (draft.for_desk or correcting or labelled or "phone" not in f or draft.asking == "phone"):
        if f.get("phone") != found.phone:
            heard.taken.append(f"电话 {mask_phone(found.phone)}")
        f["phone"] = found.phone
    if take_description and found.description and len(found.description) >= 2:
        f["description"] = found.description[:500]
    elif "description" not in f and found.ticket_type and len(heard.leftover) >= 4:
        f["description"] = heard.leftover[:500]   # the fault told while something else was asked
    _take_urgency(ctx.desk.rules, draft, heard)
    visits = draft.type not in texts.NO_VISIT
    if visits and draft.asking not in ("when", "when_holiday") and _VISIT.search(heard.text):
        window = parse_when(heard.text, heard.now)
        if window is not None:
            _take_window(draft, window, heard)


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
        heard.taken.append(_address(f))
    if found.building or found.room or found.unit:
        f.pop("no_room", None)
        heard.taken.append(_address(f))


def _take_urgency(rules: Rules, draft: Draft, heard: Heard) -> None:
    """Read again on every message: a hazard told later raises the draft's priority (never lowers it)."""
    found = hazard(heard.found.description)
    if found and draft.priority != rules.urgent_priority:
        draft.priority = rules.urgent_priority
        draft.facts["hazard"] = found


# ---- moving on -------------------------------------------------------------------------------

def _missing(rules: Rules, draft: Draft) -> str | None:
    form = rules.ticket_types[draft.type].form
    if draft.for_desk and "phone" not in form:
        form = (*form, "phone")
    if any(part in draft.facts for part in ("building", "room", "community")) and "address" not in form \
            and draft.type != "complaint":
        form = (*form, "address")     # an address begun is finished, even where the form does not need one
    # In an emergency (a burst pipe), or a fault told at length with no product of ours in it (卫生间墙角渗水),
    # the description is enough: the technician sees what it is.
    urgent = draft.priority == rules.urgent_priority and bool(draft.facts.get("description"))
    told = bool(_HOUSE_PART.search(draft.facts.get("description", ""))) and draft.type == "repair"
    for name in form:
        if not FACTS[name].has(draft) and not (name == "product" and (urgent or told)):
            return name
    if draft.facts.get("holiday") and not draft.facts.get("holiday_ok"):
        return "when_holiday"
    return None


def _advance(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, heard: Heard | None = None,
             quiet_summary: bool = False) -> None:
    if "choices" in draft.facts:
        draft.asking, draft.step = "choice", Step.CHOOSING
        save(ctx, draft)
        ctx.say(purchase_match.choice_question(ctx, uow, draft), purchase_match.choice_buttons(draft))
        return
    fact = _missing(ctx.desk.rules, draft)
    draft.asking, draft.step = fact, (Step.ASKING if fact else Step.CONFIRMING)
    save(ctx, draft)
    if fact is None:
        ctx.say(_summary(ctx, uow, draft), say.CONFIRM_BUTTONS)
        return
    examples = [c.name for c in uow.places.communities()][:3]
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
    if fact == "address" and _wants_community(draft):
        return say.COMMUNITY.format(examples="、".join(communities))
    if fact == "address" and (f.get("building") or f.get("community") or f.get("landmark")):
        return say.ROOM
    if fact == "description" and draft.type == "complaint":
        return say.COMPLAINT_DETAILS
    return say.QUESTIONS[fact]


def _summary(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> str:
    rules, f = ctx.desk.rules, draft.facts
    product = uow.catalog.product(f["product"]) if f.get("product") else None
    lines = [say.SUMMARY_HEAD, f"类型：{rules.type_name(draft.type)}（{rules.priority_name(draft.priority)}）"]
    if product or f.get("product_text"):
        lines.append(f"产品：{product.name if product else f['product_text']}")
    if f.get("description"):
        lines.append(f"描述：{f['description']}")
    address = _address(f)
    if address:
        lines.append(f"地址：{address}")
    if f.get("when_start"):
        start, end = datetime.fromisoformat(f["when_start"]), datetime.fromisoformat(f["when_end"])
        lines.append(f"期望上门：{texts.window(start, end, rules.tz)}")
    if f.get("phone"):
        lines.append(f"电话：{mask_phone(f['phone'])}")
    if draft.photos:
        lines.append(f"照片：{len(draft.photos)} 张")
    lines += purchase_match.alternatives_lines(uow, draft)
    lines += purchase_match.warranty_lines(ctx, uow, draft)
    if address and not f.get("community") and not f.get("landmark") and uow.places.communities():
        lines.append(say.SUMMARY_ADD_COMMUNITY)
    lines.append(say.SUMMARY_TAIL)
    return "\n".join(lines)


def _address(f: dict[str, str]) -> str:
    parts = [f.get("community") or f.get("landmark", ""), f.get("building") and f"{f['building']}栋",
             f.get("unit") and f"{f['unit']}单元", f.get("room") and f"{f['room']}室"]
    return "".join(p for p in parts if p)


def _type_for(found: Extracted, rules: Rules) -> str:
    if found.ticket_type in rules.ticket_types:
        return found.ticket_type  # type: ignore[return-value]
    for t in rules.ticket_types.values():
        if any(k in found.text for k in t.keywords):
            return t.code
    return rules.default_type


# ---- done ------------------------------------------------------------------------------------

def _create(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    rules, f = ctx.desk.rules, draft.facts
    description = f.get("description") or f.get("product_text") or rules.type_name(draft.type)
    if f.get("product_text") and f["product_text"] not in description:
        description = f"{f['product_text']}：{description}"
    preferred = None
    if f.get("when_start"):
        preferred = (datetime.fromisoformat(f["when_start"]), datetime.fromisoformat(f["when_end"]))
    cmd = OpenTicket(phone=f["phone"], type=draft.type, priority=draft.priority, description=description,
                     community=f.get("community") or f.get("landmark", ""), building=f.get("building", ""),
                     unit=f.get("unit", ""), room=f.get("room", ""), product_sku=f.get("product"),
                     preferred=preferred, photos=tuple(draft.photos),
                     asset_id=int(f["asset"]) if f.get("asset") else None)
    ticket = open_ticket(uow, rules, ctx.now, cmd, ctx.actor)
    # touch() refuses to move a chat already bound to another customer
    linked = ctx.actor.role is Role.OWNER and _may_link(ctx, uow, ticket.customer_id) and uow.identities.touch(
        ctx.inbound.channel, ctx.inbound.sender, Role.OWNER, str(ticket.customer_id), ctx.now)
    uow.commit()
    _done(ctx, draft, ticket.number)
    promise = texts.promise(ticket, rules)
    if draft.for_desk:
        ctx.say(say.OPENED_FOR_CALLER.format(number=ticket.number, phone=mask_phone(f["phone"]), promise=promise,
                                             charge=texts.charge_rule(ticket, rules)))
        return
    opened = say.OPENED.format(number=ticket.number, promise=promise)
    if draft.photos:
        opened += say.OPENED_WITH_PHOTOS.format(count=len(draft.photos))
    ctx.say(opened)
    if ctx.actor.role is Role.OWNER and not linked and ctx.actor.id:
        ctx.say(say.OTHER_PHONE.format(phone=mask_phone(f["phone"])))
    elif ctx.actor.role is Role.OWNER and not linked:
        ctx.say(say.KNOWN_PHONE)


def _done(ctx: Ctx, draft: Draft, number: str) -> None:
    """DONE: only the ticket's number is kept, so what follows about it can find it."""
    if draft.for_desk:
        save(ctx, None)
        return
    save(ctx, Draft(draft.type, draft.priority, step=Step.DONE, ticket=number))


def _may_link(ctx: Ctx, uow: SqlUnitOfWork, customer_id: int) -> bool:
    """A chat is tied to a customer only when the platform vouches for the phone, the customer is new
    (nothing but this ticket), or the chat was tied to them before: never on a typed number alone."""
    if ctx.inbound.channel == "console" or ctx.inbound.phone or ctx.actor.id == str(customer_id):
        return True
    history = uow.tickets.for_customer(customer_id, open_only=False)
    return len(history) <= 1 and not uow.people.assets(customer_id)


def more_about_just_made(ctx: Ctx, uow: SqlUnitOfWork, number: str, text: str) -> bool:
    """DONE: more of the story ("还是在漏", "水已经流到客厅了") goes onto the ticket just made, not into a
    new draft. A different product or place is a new report (False)."""
    ticket = uow.tickets.get(number)
    found = read(uow, text)
    if ticket is None or not ticket.is_open or str(ticket.customer_id) != ctx.actor.id:
        return False
    other_product = bool(found.products) and ticket.product_sku not in {m.sku for m in found.products}
    if other_product or found.community or found.building or found.room or found.unit:
        return False
    if found.products and not _MORE.match(found.text):
        return False   # the product named again with its fault, no "还/又/而且": a report of its own
    if not (found.ticket_type == "repair" or found.urgent) or len(found.description) < 2:
        return False
    progress.add_detail(uow, ctx.now, number, ctx.actor, found.description[:300])
    uow.commit()
    ctx.say(say.JUST_MADE_DETAIL.format(number=number))
    return True
