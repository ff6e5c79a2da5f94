"""Reads one ticket with everything its 服务确认单 shows: people, place, parts at price, the trail."""
from __future__ import annotations

from sqlalchemy import select

from domain.documents import FINISHED, Confirmation, PartLine, confirmed_how
from domain.model import mask_phone, mask_phones
from domain.rules import Rules
from domain.texts import WARRANTY, who
from domain.ticket import LABELS, Ticket
from storage.tables import MediaRow
from storage.uow import SqlUnitOfWork

MAX_PHOTOS = 6


def load_confirmation(uow: SqlUnitOfWork, rules: Rules, number: str) -> Confirmation | None:
    """None when there is no such ticket or it is not finished yet (no work to confirm)."""
    ticket = uow.tickets.get(number.upper())
    if ticket is None or ticket.state not in FINISHED or ticket.id is None:
        return None
    customer = uow.people.customer(ticket.customer_id)
    site = uow.places.site(ticket.site_id) if ticket.site_id else None
    product = uow.catalog.product(ticket.product_sku) if ticket.product_sku else None
    tech = uow.people.technician(ticket.assignee_id) if ticket.assignee_id else None
    trail = uow.tickets.trail(ticket.id)
    closing = next((e for e in reversed(trail) if e.to_state == "closed"), None)
    return Confirmation(
        number=ticket.number, type_name=rules.type_name(ticket.type), priority_name=rules.priority_name(ticket.priority),
        state_label=LABELS[ticket.state], customer_name=customer.name if customer else "",
        customer_phone=mask_phone(customer.phone) if customer else "",
        address=site.label() if site else "", product=product.name if product else (ticket.product_sku or ""),
        serial=ticket.asset_serial or "", warranty=_warranty(uow, ticket),
        fault=mask_phones(ticket.description), work_done=mask_phones(ticket.resolution_note),
        parts=_parts(uow, ticket.id), labour_cents=ticket.labour_cents, parts_cents=ticket.parts_cents,
        charge_cents=ticket.charge_cents, technician=who(tech, ticket.assignee_id) if ticket.assignee_id else "",
        created_at=ticket.created_at, arrived_at=ticket.arrived_at, resolved_at=ticket.resolved_at,
        confirmed_at=closing.at if closing else None,
        confirmed_how=confirmed_how(closing.action, closing.reason) if closing else "待业主确认",
        rating=ticket.rating, rating_comment=mask_phones(ticket.rating_comment),
        photos=_photos(uow, ticket.number))


def _warranty(uow: SqlUnitOfWork, ticket: Ticket) -> str:
    asset = next((a for a in uow.people.assets(ticket.customer_id) if a.id == ticket.asset_id), None)
    label = WARRANTY.get(ticket.warranty, ticket.warranty)
    return f"{label}（至 {asset.warranty_end:%Y-%m-%d}）" if asset and asset.warranty_end else label


def _parts(uow: SqlUnitOfWork, ticket_id: int) -> tuple[PartLine, ...]:
    lines = []
    for r in uow.parts.reservations(ticket_id):
        if r.status != "used":
            continue
        part = uow.parts.part(r.part_sku)
        lines.append(PartLine(part.name if part else r.part_sku, r.part_sku, r.quantity,
                              part.price_cents if part else 0))
    return tuple(lines)


def _photos(uow: SqlUnitOfWork, number: str) -> tuple[str, ...]:
    stmt = (select(MediaRow.path).where(MediaRow.ticket_number == number, MediaRow.status == "done")
            .order_by(MediaRow.id).limit(MAX_PHOTOS))
    return tuple(p for p in uow.session.scalars(stmt) if p)

