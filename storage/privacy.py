"""What we hold about one customer (PIPL access request), and erasing it (deletion request).

Erasing keeps every figure a report is made of (ticket counts, states, times, SLA breaches,
ratings, costs, the product and the community) and removes what names or locates the person:
phone, name, their chat identities, the words they typed, photos, the room, their purchases'
serial numbers, and notices still waiting to be sent to them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.tables import (AssetRow, CustomerRow, IdentityRow, MediaRow, OutboxRow, SiteRow, TicketEventRow,
                            TicketRow)
from storage.upsert import changed

ERASED = "（已按客户要求删除）"


def find(session: Session, phone: str) -> CustomerRow | None:
    return session.scalars(select(CustomerRow).where(CustomerRow.phone_is(phone))).first()


def export(session: Session, customer: CustomerRow) -> dict[str, Any]:
    """Everything held about the customer, as plain JSON-ready values."""
    tickets = list(session.scalars(select(TicketRow).where(TicketRow.customer_id == customer.id)
                                   .order_by(TicketRow.id)))
    return {
        "customer": {"id": customer.id, "phone": customer.phone, "name": customer.name,
                     "created_at": _when(customer.created_at)},
        "chat_identities": [{"channel": i.channel, "external_id": i.external_id, "last_seen": _when(i.last_seen)}
                            for i in _identities(session, customer.id)],
        "purchases": [_asset(session, a) for a in session.scalars(
            select(AssetRow).where(AssetRow.customer_id == customer.id).order_by(AssetRow.id))],
        "tickets": [_ticket(session, t) for t in tickets],
        "messages_to_them": [{"at": _when(o.created_at), "status": o.status, "text": o.text}
                             for o in _notices(session, customer.id)],
    }


def erase(session: Session, customer: CustomerRow, now: datetime) -> dict[str, int]:
    """Anonymise the customer in place; what was changed, by kind."""
    assert customer.id is not None
    tickets = list(session.scalars(select(TicketRow).where(TicketRow.customer_id == customer.id)))
    for t in tickets:
        t.description = ERASED if t.description else ""
        t.photos, t.rating_comment, t.asset_serial, t.hold_reason = [], "", None, ""
        t.site_id = _community_only(session, t.site_id)
        t.asset_id = None
    ids = [t.id for t in tickets]
    owner = f"owner:{customer.id}"
    events = changed(session, update(TicketEventRow).where(TicketEventRow.ticket_id.in_(ids), TicketEventRow.actor
                                                          == owner).values(reason=""))
    media = changed(session, delete(MediaRow).where(MediaRow.ticket_number.in_([t.number for t in tickets])))
    assets = changed(session, delete(AssetRow).where(AssetRow.customer_id == customer.id))
    identities = changed(session, delete(IdentityRow).where(
        IdentityRow.role == "owner", IdentityRow.person_id == str(customer.id)))
    notices = changed(session, update(OutboxRow).where(OutboxRow.role == "owner",
                                                      OutboxRow.person_id == str(customer.id))
                              .values(text=ERASED, status="dropped"))
    customer.phone, customer.name = f"erased-{customer.id}", ""   # phone_hash follows (validates)
    session.flush()
    return {"tickets": len(tickets), "events": events, "photos": media, "purchases": assets,
            "chat_identities": identities, "messages": notices}


def _community_only(session: Session, site_id: int | None) -> int | None:
    """The ticket keeps its community (figures per community), not the room."""
    site = session.get(SiteRow, site_id) if site_id else None
    if site is None or not (site.building or site.unit or site.room):
        return site_id
    existing = session.scalars(select(SiteRow).where(SiteRow.place_is(site.community))).first()
    if existing is None:
        existing = SiteRow(community=site.community, region=site.region)
        session.add(existing)
        session.flush()
    return existing.id


def _identities(session: Session, customer_id: int) -> list[IdentityRow]:
    return list(session.scalars(select(IdentityRow).where(IdentityRow.role == "owner",
                                                          IdentityRow.person_id == str(customer_id))))


def _notices(session: Session, customer_id: int) -> list[OutboxRow]:
    return list(session.scalars(select(OutboxRow).where(OutboxRow.role == "owner",
                                                        OutboxRow.person_id == str(customer_id))
                                .order_by(OutboxRow.id)))


def _asset(session: Session, a: AssetRow) -> dict[str, Any]:
    return {"sku": a.sku, "serial": a.serial, "site": _site(session, a.site_id),
            "purchase_date": _day(a.purchase_date), "install_date": _day(a.install_date),
            "warranty_end": _day(a.warranty_end)}


def _ticket(session: Session, t: TicketRow) -> dict[str, Any]:
    trail = session.scalars(select(TicketEventRow).where(TicketEventRow.ticket_id == t.id).order_by(TicketEventRow.id))
    return {"number": t.number, "type": t.type, "state": t.state, "created_at": _when(t.created_at),
            "description": t.description, "site": _site(session, t.site_id), "product_sku": t.product_sku,
            "photos": list(t.photos or []), "rating": t.rating, "rating_comment": t.rating_comment,
            "appointment_start": _when(t.appointment_start), "charge_cents": t.charge_cents,
            "history": [{"at": _when(e.at), "action": e.action, "to": e.to_state, "by": e.actor} for e in trail]}


def _site(session: Session, site_id: int | None) -> str | None:
    site = session.get(SiteRow, site_id) if site_id else None
    if site is None:
        return None
    parts = [site.community, site.building and f"{site.building}栋", site.unit and f"{site.unit}单元",
             site.room and f"{site.room}室"]
    return "".join(p for p in parts if p)


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _day(day: Any) -> str | None:
    return day.isoformat() if day else None
