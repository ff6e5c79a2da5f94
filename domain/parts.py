"""Spare parts on a job: what to bring, setting it aside, and what was used when the job is done."""
from __future__ import annotations

import re
from datetime import datetime

from domain import proposals, texts
from domain.model import Part, Reservation, Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.commands import ReservePart
from domain.errors import Refused
from domain.saving import locked
from domain.telling import tell_desk
from domain.ticket import Ticket

USED = re.compile(r"^(.+?)\s*(?:[x×*X]\s*(\d+)|(\d+)\s*[个件只套])?$")
MAX_QUANTITY = 50


yuan = texts.money


def propose(uow: UnitOfWork, ticket: Ticket, limit: int = 4) -> list[tuple[Part, int]]:
    """Parts most used on this product for this fault before, then the others that fit it."""
    return proposals.propose(uow, ticket, limit)


def _places(uow: UnitOfWork, part: Part, tech_id: str | None) -> list[str]:
    """The technician's van first, then wherever most is free."""
    stock = sorted(uow.parts.stock(part.sku), key=lambda s: -s.free)
    van = f"van:{tech_id}" if tech_id else ""
    return sorted((s.location for s in stock), key=lambda loc: loc != van)


def reserve(uow: UnitOfWork, rules: Rules, now: datetime, cmd: ReservePart) -> tuple[Ticket, Part, str]:
    actor, ref, quantity = cmd.actor, cmd.ref, cmd.quantity
    ticket = locked(uow, cmd.number)
    if actor.role is Role.TECHNICIAN and ticket.assignee_id != actor.id:
        raise Refused(f"工单 {ticket.number} 不是您负责的工单。")
    if not ticket.is_open:
        raise Refused(f"工单 {ticket.number} 已结束，不能再预留配件。")
    part = uow.parts.find(ref)
    if part is None:
        raise Refused(f"没有找到配件「{ref[:20]}」，请用配件编号或名称（发送「配件」查看推荐）。")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Refused(f"数量请在 1 到 {MAX_QUANTITY} 之间。")
    assert ticket.id is not None
    if any(r.part_sku == part.sku and r.status == "reserved" for r in uow.parts.reservations(ticket.id)):
        raise Refused(f"工单 {ticket.number} 已预留过 {part.name}，无需重复预留。")
    for location in _places(uow, part, ticket.assignee_id):
        if uow.parts.reserve(part.sku, location, quantity):
            uow.parts.add_reservation(ticket.id, part.sku, location, quantity, now)
            ticket.record("reserve", actor.label, now, f"{part.sku} {part.name}×{quantity} @{location}")
            uow.tickets.save(ticket)
            _warn_if_low(uow, now, ticket, part, location)
            return ticket, part, location
    free = sum(s.free for s in uow.parts.stock(part.sku))
    raise Refused(f"{part.name} 库存不足（可用 {free}），请联系派单员调货。")


def _warn_if_low(uow: UnitOfWork, now: datetime, ticket: Ticket, part: Part, location: str) -> None:
    stock = next((s for s in uow.parts.stock(part.sku) if s.location == location), None)
    if stock is not None and stock.free <= stock.low_at:
        day = now.date().isoformat()
        for person in uow.people.staff_with_role(Role.DISPATCHER):
            uow.outbox.add(Notice(Role.DISPATCHER, person.id, "low_stock",
                                  f"【库存预警】{part.sku} {part.name} 在 {location} 仅剩 {stock.free} 件可用，请及时补货。",
                                  f"low:{part.sku}:{location}:{day}:{person.id}", ticket.number), now)


def parse_used(text: str) -> list[str]:
    """`阀芯x1，FC-V01 ×2、密封圈` → [阀芯x1, FC-V01×2, 密封圈]: one token per part, quantity attached."""
    joined = re.sub(r"\s*([x×*X])\s*(\d+)", r"\1\2", text.strip())
    return [t for t in re.split(r"[，,、;；\s]+", joined) if t]


def _resolve(uow: UnitOfWork, token: str) -> tuple[Part | None, int, str]:
    """A token is a part name or SKU as written (SKUs may end in X100), else name + quantity."""
    part = uow.parts.find(token)
    if part is not None:
        return part, 1, token
    m = USED.match(token)
    ref = m.group(1) if m else token
    quantity = int(m.group(2) or m.group(3) or 1) if m else 1
    return uow.parts.find(ref), min(quantity, MAX_QUANTITY), ref


def use(uow: UnitOfWork, now: datetime, ticket: Ticket, text: str) -> list[str]:
    """Record the parts used, take them from stock, release what was set aside and not used.

    Returns the names it could not match; they stay in the note but are neither stocked nor charged."""
    assert ticket.id is not None
    open_res = [r for r in uow.parts.reservations(ticket.id) if r.status == "reserved"]
    unknown, cost = [], 0
    for token in parse_used(text):
        part, quantity, ref = _resolve(uow, token)
        if part is None:
            unknown.append(ref)
            continue
        held = next((r for r in open_res if r.part_sku == part.sku), None)
        if held is not None:
            open_res.remove(held)
            _use_reserved(uow, part, held.location, held.quantity, quantity)
            uow.parts.set_status(held.id, "used", quantity)
        else:
            _use_unreserved(uow, now, ticket, part, quantity)
        cost += part.price_cents * quantity
    _release(uow, open_res)
    ticket.parts_cents += cost   # a reopened job keeps what the first visit used
    return unknown


def release_all(uow: UnitOfWork, ticket: Ticket) -> None:
    """A cancelled job gives back everything still set aside for it."""
    assert ticket.id is not None
    _release(uow, [r for r in uow.parts.reservations(ticket.id) if r.status == "reserved"])


def _release(uow: UnitOfWork, held: list[Reservation]) -> None:
    for r in held:
        uow.parts.release(r.part_sku, r.location, r.quantity)
        uow.parts.set_status(r.id, "released")


def _use_reserved(uow: UnitOfWork, part: Part, location: str, held: int, used: int) -> None:
    if not uow.parts.take(part.sku, location, used, reserved=min(held, used)):
        uow.parts.take(part.sku, location, held, reserved=held)  # used more than was there: take what was held
    if used < held:
        uow.parts.release(part.sku, location, held - used)


def _use_unreserved(uow: UnitOfWork, now: datetime, ticket: Ticket, part: Part, quantity: int) -> None:
    assert ticket.id is not None
    for location in _places(uow, part, ticket.assignee_id):
        if uow.parts.take(part.sku, location, quantity):
            uow.parts.record_use(ticket.id, part.sku, location, quantity, now)
            _warn_if_low(uow, now, ticket, part, location)   # never set aside, so nobody was warned yet
            return
    uow.parts.record_use(ticket.id, part.sku, "", quantity, now)   # used from somewhere we do not track
    tell_desk(uow, now, ticket, f"stock-{part.sku}", f"【库存核对】{ticket.number} 使用了 {part.name}×{quantity}，"
                                                     f"但库存记录不足，请核对。")


def price(ticket: Ticket, rules: Rules) -> None:
    """Labour by ticket type plus parts at price; nothing for the customer while under warranty."""
    kind = rules.ticket_types.get(ticket.type)
    ticket.labour_cents = kind.labour_cents if kind else 0
    total = ticket.labour_cents + ticket.parts_cents
    ticket.charge_cents = 0 if ticket.warranty == "in" else total
