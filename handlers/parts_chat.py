"""配件 / 预留: technicians and dispatchers see what a job needs and set parts aside."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from domain import parts
from domain.model import Role
from domain.commands import ReservePart
from domain.errors import Refused
from domain.ticket import State
from domain.visibility import visible_ticket
from handlers import commands
from handlers.base import Ctx
from handlers.picking import pick
from storage import sealing
from storage.kv import Keys
from storage.uow import SqlUnitOfWork

# the sign is read too, so `预留 P-VALVE -1` is a bad quantity, not a part called "P-VALVE -"
QUANTITY = re.compile(r"^(.*?)\s*[x×*X]?\s*(-?\d{1,3})\s*[个件只套]?$")
ACTIVE = (State.ASSIGNED, State.ACCEPTED, State.IN_PROGRESS, State.WAITING)


def _number(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> str:
    if ctx.actor.role is Role.TECHNICIAN:
        jobs = uow.tickets.for_technician(ctx.actor.id, ACTIVE)
        return pick(jobs, cmd.number, "您当前没有工单。")
    if not cmd.number:
        raise Refused("请带上工单号，例如：配件 BX20261123-0001")
    return cmd.number


def show(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    ticket = visible_ticket(uow, ctx.actor, _number(ctx, uow, cmd))
    lines = [f"工单 {ticket.number} 建议备件："]
    for part, free in parts.propose(uow, ticket):
        lines.append(f"{part.sku} {part.name} {parts.yuan(part.price_cents)} 可用 {free}")
    if len(lines) == 1:
        lines = [f"工单 {ticket.number} 暂无配件建议（产品未知或无适配配件）。"]
    assert ticket.id is not None
    held = [f"{r.part_sku}×{r.quantity} @{r.location}" for r in uow.parts.reservations(ticket.id)
            if r.status == "reserved"]
    if held:
        lines.append("已预留：" + "、".join(held))
    lines.append("预留请发：预留 配件编号 数量")
    ctx.say("\n".join(lines))


def reserve(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = _number(ctx, uow, cmd)
    m = QUANTITY.match(cmd.rest.strip())
    ref, quantity = (m.group(1).strip(), int(m.group(2))) if m and m.group(1).strip() else (cmd.rest.strip(), 1)
    if not ref:
        raise Refused("请这样写：预留 BX20261123-0001 FC-P01 1")
    try:
        ticket, part, location = parts.reserve(uow, ctx.desk.rules, ctx.now,
                                                 ReservePart(number, ctx.actor, ref, quantity))
    except parts.PartAmbiguous as which:
        ask_which(ctx, uow, which)
        return
    uow.commit()
    ctx.say(f"已为 {ticket.number} 预留 {part.name}×{quantity}（{location}）。")


MAX_CHOICES = 4
Run = Callable[[Ctx, SqlUnitOfWork], None]


def ask_which(ctx: Ctx, uow: SqlUnitOfWork, which: parts.PartAmbiguous) -> None:
    """Nothing is kept; the message waits to be run again with the part the person picks."""
    uow.rollback()
    skus = [p.sku for p in which.found.candidates[:MAX_CHOICES]]
    pending = {"text": ctx.inbound.text, "ref": which.found.ref, "skus": skus}
    ctx.desk.store.set(_key(ctx), sealing.sealed_json(pending), ttl=ctx.desk.dialog_ttl)   # the message as typed
    ctx.say(str(which).replace("请用配件编号再发一次", "请选择（或回复配件编号）"), tuple(skus))


def answer_choice(ctx: Ctx, uow: SqlUnitOfWork, run: Run) -> bool:
    """A pick (a SKU offered, or its number) runs the waiting message with it; anything else drops it."""
    pending = sealing.opened_json(ctx.desk.store.get(_key(ctx)))
    if pending is None:
        return False
    ctx.desk.store.delete(_key(ctx))
    said, skus = ctx.inbound.text.strip().upper(), pending["skus"]
    sku = skus[int(said) - 1] if said.isdigit() and 1 <= int(said) <= len(skus) else said
    if sku not in skus:
        return False
    head, _, tail = pending["text"].rpartition(pending["ref"])  # the last mention: the list follows the note
    ctx.inbound = replace(ctx.inbound, text=f"{head}{sku}{tail}")
    run(ctx, uow)
    return True


def _key(ctx: Ctx) -> str:
    return Keys.choice(ctx.inbound.channel, ctx.inbound.sender)
