"""配件 / 预留: technicians and dispatchers see what a job needs and set parts aside."""
from __future__ import annotations

import re

from domain import parts
from domain.model import Role
from domain.commands import ReservePart
from domain.errors import Refused
from domain.ticket import State
from domain.visibility import visible_ticket
from handlers import commands
from handlers.base import Ctx
from handlers.picking import pick
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
    ticket, part, location = parts.reserve(uow, ctx.desk.rules, ctx.now,
                                             ReservePart(number, ctx.actor, ref, quantity))
    uow.commit()
    ctx.say(f"已为 {ticket.number} 预留 {part.name}×{quantity}（{location}）。")
