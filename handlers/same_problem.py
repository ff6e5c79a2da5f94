"""是同一个问题吗？ A confirmed report about a product the owner already has an open ticket on is asked
about first: on yes it adds to that ticket (words and photos) instead of opening another; on no the new
ticket is made as confirmed. Never merged on a guess."""
from __future__ import annotations

from domain import progress, texts
from domain.commands import AddDetail, AttachPhoto
from domain.incidents import SAME_PROBLEM_BUTTONS, SAME_PROBLEM_QUESTION, same_problem
from domain.model import Role
from handlers.base import Ctx
from handlers.dialog_done import create
from handlers.dialog_store import Draft, Step, save
from handlers.dialog_words import is_yes
from handlers.text import normalize
from storage.uow import SqlUnitOfWork

ASKED = "same_asked"     # a draft fact: the owner said it is a new problem; not asked twice
OPEN = "same_as"         # a draft fact: the open ticket asked about
ADDED = "好的，已把这次的情况补充到工单 {number}，不再重复开单；师傅会一并处理。回复「进度」可查看处理情况。"
_NEW = ("不是", "不同", "不一样", "新报修", "另一个", "新问题", "再报", "重新报")


def ask(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> bool:
    """True when the question went out (the draft waits for the answer)."""
    f = draft.facts
    if draft.for_desk or ctx.actor.role is not Role.OWNER or f.get(ASKED) or not f.get("product"):
        return False
    customer = uow.people.customer_by_phone(f.get("phone", ""))
    # only to the chat that is this customer's own: the question names their ticket
    if customer is None or customer.id is None or str(customer.id) != ctx.actor.id:
        return False
    ticket = same_problem(uow.tickets.for_customer(customer.id), customer.id, f["product"])
    if ticket is None:
        return False
    product = uow.catalog.product(f["product"])
    f[OPEN], draft.step = ticket.number, Step.SAME_PROBLEM
    save(ctx, draft)
    ctx.say(SAME_PROBLEM_QUESTION.format(product=product.name if product else "产品", number=ticket.number,
                                         state=texts.state(ticket)), SAME_PROBLEM_BUTTONS)
    return True


def answer(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft, text: str) -> None:
    said = normalize(text)
    if any(w in said for w in _NEW) or said.startswith(("不", "没")):
        draft.facts[ASKED], draft.step = "1", Step.CONFIRMING
        create(ctx, uow, draft)
    elif is_yes(text) or "同一个" in said or said in ("是", "是的", "对", "对的", "一样"):
        _add(ctx, uow, draft)
    else:
        save(ctx, draft)
        ctx.say(f"请点按钮告诉我：和工单 {draft.facts[OPEN]} 是同一个问题吗？", SAME_PROBLEM_BUTTONS)


def _add(ctx: Ctx, uow: SqlUnitOfWork, draft: Draft) -> None:
    number, rules = draft.facts[OPEN], ctx.desk.rules
    detail = draft.facts.get("description") or draft.facts.get("product_text") or ""
    progress.add_detail(uow, rules, ctx.now, AddDetail(number, ctx.actor, detail[:300], "hazard" in draft.facts))
    for media in draft.photos:
        progress.attach_photo(uow, rules, ctx.now, AttachPhoto(number, ctx.actor, media))
    uow.commit()
    save(ctx, Draft(draft.type, draft.priority, step=Step.DONE, ticket=number))
    ctx.say(ADDED.format(number=number))
