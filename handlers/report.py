"""The report dialog: collect what the ticket type's form needs, one question at a time, then confirm."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

from domain import texts
from domain.model import Role, mask_phone
from domain.rules import FACTS, Rules
from domain.commands import OpenTicket
from domain.opening import open_ticket
from handlers import purchase_match, smalltalk
from handlers.base import Ctx
from handlers.ports import Desk
from handlers.extract import Extracted, extract, is_affirmative, is_negative
from handlers.products import CatalogItem
from handlers.text import find_phone
from handlers.when import is_past, parse_when
from storage.kv import Keys
from storage.uow import SqlUnitOfWork

ADDRESS_PARTS = purchase_match.ADDRESS_PARTS
# "投诉" / "我要报修" alone say what kind of ticket, not what happened: the details are still to be asked.
_ONLY_INTENT = re.compile(r"^(?:我|我们)?(?:要|想|需要)?(?:投诉|报修|维修|退货|换货|退换货|安装|报个修)(?:一下|了)?$")
_BARE_ROOM = re.compile(r"(?<![\d-])(\d{3,4})(?![\d年元块个天米次分点岁月日%])")
_NO_ROOM = ("公共区域", "没有房号", "无房号", "没有", "无", "楼道", "大堂")
_WORDLESS = re.compile(r"[\W_]*")
ROOM_QUESTION = "请补充房号（例如：501）；如是公共区域，请回复「公共区域」。"


@dataclass
class Draft:
    type: str
    priority: str
    facts: dict[str, str] = field(default_factory=dict)
    asking: str | None = None
    confirming: bool = False
    for_desk: bool = False


def load(ctx: Ctx) -> Draft | None:
    raw = ctx.desk.store.get(Keys.dialog(ctx.inbound.channel, ctx.inbound.sender))
    return Draft(**json.loads(raw)) if raw else None


def save(ctx: Ctx, draft: Draft | None) -> None:
    key = Keys.dialog(ctx.inbound.channel, ctx.inbound.sender)
    if draft is None:
        ctx.desk.store.delete(key)
    else:
        ctx.desk.store.set(key, json.dumps(asdict(draft), ensure_ascii=False), ttl=ctx.desk.dialog_ttl)


def prefill(desk: Desk, channel: str, sender: str, facts: dict[str, str]) -> str | None:
    """Facts known before the owner says a word (a scanned 扫码报修 code: the unit, the product)
    go into their draft; returns the question for the first fact still missing. An unknown SKU is
    left out rather than guessed."""
    with desk.uow() as uow:
        known = {k: v for k, v in facts.items() if k != "product" or uow.catalog.product(v) is not None}
    key = Keys.dialog(channel, sender)
    raw = desk.store.get(key)
    rules = desk.rules
    draft = Draft(**json.loads(raw)) if raw else Draft(rules.default_type, rules.default_priority)
    draft.facts.update(known)
    draft.confirming = False
    draft.asking = _missing(rules, draft) or "description"
    desk.store.set(key, json.dumps(asdict(draft), ensure_ascii=False), ttl=desk.dialog_ttl)
    if draft.asking == "address" and (draft.facts.get("building") or draft.facts.get("community")):
        return ROOM_QUESTION
    return FACTS[draft.asking]


def draft_facts(desk: Desk, channel: str, sender: str) -> dict[str, str]:
    """What this person's unfinished report says so far (for a person taking over the chat)."""
    raw = desk.store.get(Keys.dialog(channel, sender))
    if not raw:
        return {}
    facts = dict(json.loads(raw).get("facts") or {})
    return {k: v for k, v in facts.items() if k in ("community", "building", "unit", "room", "product",
                                                     "product_text", "description", "phone")}


def catalog(uow: SqlUnitOfWork) -> list[CatalogItem]:
    return [CatalogItem(p.sku, p.name, p.category, p.aliases) for p in uow.catalog.products()]


def read(uow: SqlUnitOfWork, text: str) -> Extracted:
    return extract(text, catalog(uow), [c.name for c in uow.places.communities()])


def looks_like_report(found: Extracted) -> bool:
    return bool(found.products or found.ticket_type or found.room or found.category or found.urgent)


def start(ctx: Ctx, uow: SqlUnitOfWork, found: Extracted, for_desk: bool = False) -> None:
    rules = ctx.desk.rules
    type_code = _type_for(found, rules)
    draft = Draft(type_code, rules.urgent_priority if found.urgent else rules.default_priority, for_desk=for_desk)
    if ctx.phone and not for_desk:
        draft.facts["phone"] = ctx.phone
    _merge(draft, found, take_description=not _ONLY_INTENT.match(found.description))
    purchase_match.match(ctx, uow, draft, found)
    _advance(ctx, uow, draft)


def _bare_room(found: Extracted) -> str | None:
    """"502" or "是502" with no 室/栋 around it: a room, when a room is what is being talked about."""
    if found.room or found.phone:
        return None
    rooms = _BARE_ROOM.findall(found.text)
    return rooms[0] if len(rooms) == 1 else None


def proceed(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    """The next message of an open dialog."""
    if ctx.phone and "phone" not in draft.facts and not draft.for_desk:
        draft.facts["phone"] = ctx.phone   # a prefilled draft was started before we knew who wrote
    if draft.confirming:
        _confirming(ctx, uow, draft, text)
        return
    if is_negative(text) and text.strip().startswith(("取消", "不报了", "算了")):
        save(ctx, None)
        ctx.say("好的，已取消本次报修。")
        return
    if _answers_nothing(draft, text):
        _advance(ctx, uow, draft)  # "确认" / "你好" / "😀" answer nothing: the same question again
        return
    if draft.asking == "choice":
        problem = purchase_match.choose(ctx, uow, draft, text)
    else:
        problem = _answer(uow, draft, text, ctx.now.astimezone(ctx.desk.rules.tz))
    if problem:
        save(ctx, draft)
        ctx.say(problem)
        return
    found = read(uow, text)
    _merge(draft, found, take_description=False)
    purchase_match.match(ctx, uow, draft, found)
    _advance(ctx, uow, draft)


def _answers_nothing(draft: Draft, text: str) -> bool:
    """Only punctuation or emoji, a greeting or thanks, or a yes or a digit where a product or description
    is asked."""
    if _WORDLESS.fullmatch(text.strip()) or smalltalk.kind(text):
        return True
    # a lone digit is a stray rating or button number, never a product or what went wrong
    short = is_affirmative(text) or (text.strip().isdigit() and len(text.strip()) <= 2)
    return draft.asking in ("product", "description") and short


def _confirming(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    if is_affirmative(text):
        _create(ctx, uow, draft)
    elif purchase_match.pick_alternative(uow, draft, text):
        _advance(ctx, uow, draft)
    elif text.strip().startswith(("修改", "重新", "重填")):
        draft.facts = {"phone": draft.facts["phone"]} if "phone" in draft.facts and not draft.for_desk else {}
        draft.confirming = False
        _advance(ctx, uow, draft)
    elif is_negative(text):
        save(ctx, None)
        ctx.say("好的，已取消本次报修，有需要随时找我。")
    else:
        # A correction ("不对，是502", "是马桶不是花洒") replaces what it names.
        found = read(uow, text)
        _merge(draft, found, take_description=False, correcting=True)
        room = _bare_room(found)
        if room:
            draft.facts["room"] = room
        _advance(ctx, uow, draft)


def _answer(uow: SqlUnitOfWork, draft: Draft, text: str, now: datetime) -> str | None:
    """Fill the fact that was asked for; a message back when the answer does not fit."""
    fact, text = draft.asking, text.strip()
    if fact == "product":
        found = read(uow, text)
        if found.products:
            draft.facts["product"] = found.products[0].sku
        else:  # not in the catalogue: the words are kept so the technician knows what it is
            draft.facts["product_text"] = (found.description or text)[:40]
        if "description" not in draft.facts and len(found.description) >= 4:
            draft.facts["description"] = found.description[:500]
    elif fact == "description":
        draft.facts["description"] = text[:500]
    elif fact == "address":
        room = _bare_room(read(uow, text))
        if room:
            draft.facts["room"] = room
        elif text.strip("。.！!，, ") in _NO_ROOM and (draft.facts.get("building") or draft.facts.get("community")):
            draft.facts["no_room"] = "1"
    elif fact == "phone":
        phone = find_phone(text)
        if phone is None:
            return "手机号好像不对，请输入 11 位手机号，例如 13800138000。"
        draft.facts["phone"] = phone
    elif fact == "when":
        window = parse_when(text, now)
        if window is None and is_past(text, now):
            return "这个时间已经过去了，请说一个以后的时间，例如：明天下午3点、周六上午。"
        if window is None:
            return "没看懂这个时间，请换个说法，例如：明天下午3点、周六上午。"
        draft.facts["when_start"], draft.facts["when_end"] = window.start.isoformat(), window.end.isoformat()
    return None


def _merge(draft: Draft, found: Extracted, take_description: bool, correcting: bool = False) -> None:
    f = draft.facts
    if found.products and ("product" not in f or (correcting and "asset" not in f)):
        f["product"] = found.products[0].sku
        f.pop("product_text", None)
    for part in ADDRESS_PARTS:
        value = getattr(found, part)
        if value:
            f[part] = value
    if found.phone and (draft.for_desk or "phone" not in f):
        f["phone"] = found.phone
    if take_description and found.description and len(found.description) >= 2:
        f["description"] = found.description[:500]


def _missing(rules: Rules, draft: Draft) -> str | None:
    form = rules.ticket_types[draft.type].form
    if draft.for_desk and "phone" not in form:
        form = (*form, "phone")
    # In an emergency (a burst pipe) the description is enough: the product can wait for the technician.
    urgent = draft.priority == rules.urgent_priority and bool(draft.facts.get("description"))
    for fact in form:
        if not _has(draft, fact) and not (fact == "product" and urgent):
            return fact
    return None


def _has(draft: Draft, fact: str) -> bool:
    f = draft.facts
    if fact == "product":
        return bool(f.get("product") or f.get("product_text"))
    if fact == "address":
        # A building without a room is not an address a technician can find.
        return bool(f.get("room") or f.get("no_room") or (f.get("community") and draft.type == "inspection"))
    if fact == "when":
        return bool(f.get("when_start"))
    return bool(f.get(fact))


def _advance(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    if "choices" in draft.facts:
        draft.asking, draft.confirming = "choice", False
        save(ctx, draft)
        ctx.say(purchase_match.choice_question(ctx, uow, draft), purchase_match.choice_buttons(draft))
        return
    fact = _missing(ctx.desk.rules, draft)
    draft.asking, draft.confirming = fact, fact is None
    save(ctx, draft)
    if fact is not None:
        question = FACTS[fact]
        if draft.for_desk and fact == "phone":
            question = "请输入报修业主的手机号（业主会收到进度通知）。"
        elif fact == "address" and (draft.facts.get("building") or draft.facts.get("community")):
            question = ROOM_QUESTION
        elif fact == "description" and draft.type == "complaint":
            question = "请具体说说您要投诉的情况（哪张工单、哪位师傅、发生了什么），我们会认真处理。"
        ctx.say(question)
        return
    ctx.say(_summary(ctx, uow, draft), ("确认", "修改", "取消"))


def _summary(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> str:
    rules, f = ctx.desk.rules, draft.facts
    product = uow.catalog.product(f["product"]) if f.get("product") else None
    lines = ["请确认报修信息：", f"类型：{rules.type_name(draft.type)}（{rules.priority_name(draft.priority)}）"]
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
    lines += purchase_match.alternatives_lines(uow, draft)
    lines += purchase_match.warranty_lines(ctx, uow, draft)
    if address and not f.get("community") and uow.places.communities():
        lines.append("（如需补充小区名称，直接回复小区名即可）")
    lines.append("回复「确认」提交，「修改」重新填写，「取消」放弃。")
    return "\n".join(lines)


def _address(f: dict[str, str]) -> str:
    parts = [f.get("community", ""), f.get("building") and f"{f['building']}栋",
             f.get("unit") and f"{f['unit']}单元", f.get("room") and f"{f['room']}室"]
    return "".join(p for p in parts if p)


def _create(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    rules, f = ctx.desk.rules, draft.facts
    description = f.get("description") or f.get("product_text") or rules.type_name(draft.type)
    if f.get("product_text") and f["product_text"] not in description:
        description = f"{f['product_text']}：{description}"
    preferred = None
    if f.get("when_start"):
        preferred = (datetime.fromisoformat(f["when_start"]), datetime.fromisoformat(f["when_end"]))
    cmd = OpenTicket(phone=f["phone"], type=draft.type, priority=draft.priority, description=description,
                     community=f.get("community", ""), building=f.get("building", ""), unit=f.get("unit", ""),
                     room=f.get("room", ""), product_sku=f.get("product"), preferred=preferred,
                     asset_id=int(f["asset"]) if f.get("asset") else None, by=ctx.actor)
    ticket = open_ticket(uow, rules, ctx.now, cmd)
    # touch() refuses to move a chat already bound to another customer
    linked = ctx.actor.role is Role.OWNER and _may_link(ctx, uow, ticket.customer_id) and uow.identities.touch(
        ctx.inbound.channel, ctx.inbound.sender, Role.OWNER, str(ticket.customer_id), ctx.now)
    uow.commit()
    save(ctx, None)
    promise = texts.promise(ticket, rules)
    if draft.for_desk:
        ctx.say(f"已代客创建工单 {ticket.number}，业主 {mask_phone(f['phone'])} 会收到进度通知。{promise}。"
                f"\n{texts.charge_rule(ticket, rules)}")
    else:
        ctx.say(f"报修成功！工单号 {ticket.number}。{promise}，有进展会通知您。回复「进度」可随时查询。")
        if ctx.actor.role is Role.OWNER and not linked and ctx.actor.id:
            ctx.say(f"您填写的号码 {mask_phone(f['phone'])} 不是本账号绑定的号码，工单已按该号码建立，"
                    f"进度通知会发给该号码的客户；您在这里仍是原来绑定的身份。")
        elif ctx.actor.role is Role.OWNER and not linked:
            ctx.say("该号码已有服务记录。为保护隐私，进度通知会发到该号码常用的渠道；"
                    "如需在这里查询，请回复「绑定」验证身份。")


def _may_link(ctx: Ctx, uow: SqlUnitOfWork, customer_id: int) -> bool:
    """A chat is tied to a customer only when the platform vouches for the phone, the customer is new
    (nothing but this ticket), or the chat was tied to them before: never on a typed number alone."""
    if ctx.inbound.channel == "console" or ctx.inbound.phone or ctx.actor.id == str(customer_id):
        return True
    history = uow.tickets.for_customer(customer_id, open_only=False)
    return len(history) <= 1 and not uow.people.assets(customer_id)


def _type_for(found: Extracted, rules: Rules) -> str:
    if found.ticket_type in rules.ticket_types:
        return found.ticket_type
    for t in rules.ticket_types.values():
        if any(k in found.text for k in t.keywords):
            return t.code
    return rules.default_type
