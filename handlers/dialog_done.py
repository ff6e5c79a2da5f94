"""The DONE step: the ticket made from a confirmed draft, and what follows about it right after."""
from __future__ import annotations

import re
from datetime import datetime

from domain import progress, texts
from domain.model import Role, mask_phone
from domain.commands import AddDetail, OpenTicket
from domain.opening import open_ticket
from domain.ticket import State
from handlers import form_texts as say
from handlers.base import Ctx
from handlers.dialog_store import Draft, Step, save
from handlers.dialog_words import MORE, is_yes, read
from storage.uow import SqlUnitOfWork

# What the technician should know before coming ("家里白天没人，来之前打我爱人电话"): kept with the ticket just made.
_VISIT_NOTE = re.compile(r"来之前|上门前|到了打|打我|联系我|钥匙|门卫|物业|有狗|停车")


def create(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
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
                     asset_id=int(f["asset"]) if f.get("asset") else None, by=ctx.actor)
    ticket = open_ticket(uow, rules, ctx.now, cmd)
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
    """DONE: a second yes (the summary's button pressed again) or more of the story, answered about the
    ticket just made; False when the message is something else (a new report, a question…)."""
    if is_yes(text):
        ctx.say(say.ALREADY_MADE.format(number=number))
        return True
    return _more_detail(ctx, uow, number, text)


def _more_detail(ctx: Ctx, uow: SqlUnitOfWork, number: str, text: str) -> bool:
    """DONE: more of the story ("还是在漏", "水已经流到客厅了") goes onto the ticket just made, not into a
    new draft. A different product or place is a new report (False)."""
    ticket = uow.tickets.get(number)
    found = read(uow, text)
    if ticket is None or not ticket.is_open or str(ticket.customer_id) != ctx.actor.id:
        return False
    if ticket.state is State.RESOLVED:
        return False   # repaired already: "还是在漏" is the owner's word on the repair, not more story
    other_product = bool(found.products) and ticket.product_sku not in {m.sku for m in found.products}
    if other_product or found.community or found.building or found.room or found.unit:
        return False
    if found.products and not MORE.match(found.text):
        return False   # the product named again with its fault, no "还/又/而且": a report of its own
    note = bool(_VISIT_NOTE.search(found.text))
    if not (found.ticket_type == "repair" or found.urgent or note) or len(found.description) < 2:
        return False
    detail = found.text if note else found.description   # a note keeps the number it says to call
    progress.add_detail(uow, ctx.desk.rules, ctx.now, AddDetail(number, ctx.actor, detail[:300], hazard=found.urgent))
    uow.commit()
    ctx.say(say.JUST_MADE_DETAIL.format(number=number))
    return True
