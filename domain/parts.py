"""Spare parts on a job: what to bring, setting it aside, and what was used when the job is done."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from domain import proposals, texts
from domain.model import Part, Reservation, Role, Stock
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.commands import ReservePart
from domain.errors import Refused
from domain.saving import locked
from domain.telling import tell_desk
from domain.ticket import Ticket

MIN_PART_OF_NAME = 2   # one character (管, 芯) names half the catalog; two begin to mean something
USED = re.compile(r"^(.+?)\s*(?:[x×*X]\s*(\d+)|(\d+)\s*[个件只套])?$")
MAX_QUANTITY = 50


yuan = texts.money


@dataclass(frozen=True)
class Ambiguous:
    """A name that fits several parts equally well: the person is asked which one."""

    ref: str
    candidates: tuple[Part, ...]


class PartAmbiguous(Refused):
    """Raised before anything changed, so the handler can ask back and the person resend."""

    def __init__(self, found: Ambiguous) -> None:
        self.found = found
        names = "、".join(f"{p.sku} {p.name}" for p in found.candidates[:5])
        super().__init__(f"「{found.ref[:20]}」可能是以下配件：{names}。请用配件编号再发一次。")


def resolve_part(ref: str, catalog: Sequence[Part], product_sku: str | None = None,
                 reserved: Iterable[str] = ()) -> Part | Ambiguous | None:
    """What a person meant by `ref`: a SKU, a name, an alias, or a part of a name only one part has.

    Among several, the parts reserved for the job win, then those that fit its product, then an
    exact name over a partial one; two still left are a question, never a guess."""
    wanted = _norm(ref)
    if not wanted:
        return None
    by_sku = [p for p in catalog if p.sku.casefold() == wanted]
    if by_sku:
        return by_sku[0]
    exact = {p.sku for p in catalog if wanted in (_norm(n) for n in (p.name, *p.aliases))}
    partial = [p for p in catalog if p.sku in exact or (len(wanted) >= MIN_PART_OF_NAME and any(
        wanted in _norm(n) for n in (p.name, *p.aliases)))]
    held = set(reserved)
    for prefer in (lambda p: p.sku in held, lambda p: bool(product_sku) and product_sku in p.fits,
                   lambda p: p.sku in exact):
        partial = [p for p in partial if prefer(p)] or partial
    if len(partial) > 1:
        return Ambiguous(ref, tuple(partial))
    return partial[0] if partial else None


def _norm(name: str) -> str:
    return re.sub(r"\s+", "", name).casefold()


def _find(uow: UnitOfWork, ticket: Ticket, ref: str) -> Part | None:
    """The part meant on this job; raises PartAmbiguous when the person must say which."""
    assert ticket.id is not None
    held = [r.part_sku for r in uow.parts.reservations(ticket.id) if r.status == "reserved"]
    found = resolve_part(ref, uow.parts.all(), ticket.product_sku, held)
    if isinstance(found, Ambiguous):
        raise PartAmbiguous(found)
    return found


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
    part = _find(uow, ticket, ref)
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


def _resolve(uow: UnitOfWork, ticket: Ticket, token: str) -> tuple[Part | None, int, str]:
    """A token is a part as written (SKUs may end in X100), else a part and a quantity."""
    part = _find(uow, ticket, token)
    if part is not None:
        return part, 1, token
    m = USED.match(token)
    ref = m.group(1) if m else token
    quantity = int(m.group(2) or m.group(3) or 1) if m else 1
    return _find(uow, ticket, ref), min(quantity, MAX_QUANTITY), ref


def use(uow: UnitOfWork, now: datetime, ticket: Ticket, text: str) -> list[str]:
    """Record the parts used, take them from stock, release what was set aside and not used.

    Every name is matched before stock moves, so a question (PartAmbiguous) leaves nothing half
    done. Only what stock gave up is charged; a shortfall is the desk's to check (【库存核对】).
    Returns the names it could not match; they stay in the note but are neither stocked nor charged."""
    assert ticket.id is not None
    open_res = [r for r in uow.parts.reservations(ticket.id) if r.status == "reserved"]
    resolved = [_resolve(uow, ticket, token) for token in parse_used(text)]
    unknown, cost = [ref for part, _, ref in resolved if part is None], 0
    for part, quantity, _ in resolved:
        if part is None:
            continue
        held = next((r for r in open_res if r.part_sku == part.sku), None)
        if held is not None:
            open_res.remove(held)
        taken = _take(uow, now, ticket, part, quantity, held)
        if taken < quantity:
            _short(uow, now, ticket, part, quantity, taken)
        cost += part.price_cents * taken
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


def _take(uow: UnitOfWork, now: datetime, ticket: Ticket, part: Part, quantity: int,
          held: Reservation | None) -> int:
    """Take up to `quantity`: the reservation first, then whatever is free, van first. How many."""
    assert ticket.id is not None
    taken = 0
    if held is not None:
        taken = min(held.quantity, quantity)
        uow.parts.take(part.sku, held.location, taken, reserved=taken)
        if taken < held.quantity:
            uow.parts.release(part.sku, held.location, held.quantity - taken)
        uow.parts.set_status(held.id, "used", taken)
    for stock in _free_stock(uow, part, ticket.assignee_id):
        more = min(stock.free, quantity - taken)
        if more > 0 and uow.parts.take(part.sku, stock.location, more):
            uow.parts.record_use(ticket.id, part.sku, stock.location, more, now)
            taken += more
            _warn_if_low(uow, now, ticket, part, stock.location)   # never set aside, so nobody was warned yet
    return taken


def _free_stock(uow: UnitOfWork, part: Part, tech_id: str | None) -> list[Stock]:
    """Where free parts are: the technician's van first, then the places with most free."""
    van = f"van:{tech_id}" if tech_id else ""
    return sorted(uow.parts.stock(part.sku), key=lambda s: (s.location != van, -s.free))


def _short(uow: UnitOfWork, now: datetime, ticket: Ticket, part: Part, written: int, taken: int) -> None:
    """Used more than stock says there was: charge what stock gave, and ask the desk to count."""
    ticket.record("parts_short", "系统", now, f"{part.sku} 填写 {written}，库存记录 {taken}")
    tell_desk(uow, now, ticket, f"stock-{part.sku}",
              f"【库存核对】{ticket.number} 填写使用 {part.name}×{written}，但库存记录只有 {taken} 件可用，"
              f"已按 {taken} 件扣减库存并计费，请核对实物库存。")


def price(ticket: Ticket, rules: Rules) -> None:
    """Labour by ticket type plus parts at price; nothing for the customer while under warranty."""
    kind = rules.ticket_types.get(ticket.type)
    ticket.labour_cents = kind.labour_cents if kind else 0
    total = ticket.labour_cents + ticket.parts_cents
    ticket.charge_cents = 0 if ticket.warranty == "in" else total
