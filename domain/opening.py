"""Opening a ticket: the customer, the site, the asset and its warranty, deadlines, then dispatch."""
from __future__ import annotations

from datetime import datetime

from domain import proposals, texts
from domain.commands import OpenTicket
from domain.deadlines import set_deadlines
from domain.model import Customer, Role, Site
from domain.notices import Notice
from domain.offers import dispatch
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.telling import notice_key, notify, tell_desk
from domain.ticket import Ticket


def open_ticket(uow: UnitOfWork, rules: Rules, now: datetime, cmd: OpenTicket) -> Ticket:
    by = cmd.by
    customer = uow.people.customer_by_phone(cmd.phone) or uow.people.add_customer(
        Customer(phone=cmd.phone, name=cmd.customer_name))
    assert customer.id is not None
    site = _site(uow, cmd)
    day = now.astimezone(rules.tz).strftime("%Y%m%d")
    ticket = Ticket(
        number=uow.tickets.next_number(rules.number_prefix, day), type=cmd.type,
        priority=cmd.priority, description=cmd.description, customer_id=customer.id,
        created_at=now, site_id=site.id if site else None, product_sku=cmd.product_sku,
        photos=list(cmd.photos))
    if cmd.preferred:
        ticket.appointment_start, ticket.appointment_end = cmd.preferred
    _attach_asset(uow, rules, now, ticket, cmd.asset_id)
    set_deadlines(ticket, rules, now)
    opener = f"owner:{customer.id}" if by.role is Role.OWNER else by.label
    ticket.record("open", opener, now, "代客报修" if by.role is not Role.OWNER else "")
    if by.role is not Role.OWNER:
        notify(uow, now, Notice(Role.OWNER, str(customer.id), "opened",
                                texts.opened_for_owner(ticket, rules), notice_key(ticket, "opened", now),
                                ticket.number))
    dispatch(uow, rules, now, ticket)
    _propose_to_desk(uow, now, ticket)
    return ticket


def _attach_asset(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, asset_id: int | None) -> None:
    """The customer's own purchase of this product decides the warranty (same address first)."""
    owned = uow.people.assets(ticket.customer_id)
    matches = [a for a in owned if a.id == asset_id] or [a for a in owned if a.sku == ticket.product_sku]
    if not matches:
        return
    asset = next((a for a in matches if a.site_id == ticket.site_id), matches[0])
    ticket.asset_id, ticket.asset_serial = asset.id, asset.serial
    ticket.product_sku = ticket.product_sku or asset.sku
    ticket.warranty = asset.warranty_on(now.astimezone(rules.tz).date())


def _site(uow: UnitOfWork, cmd: OpenTicket) -> Site | None:
    if not cmd.community:
        return None
    region = next((c.region for c in uow.places.communities() if c.name == cmd.community), "")
    return uow.places.site_for(Site(cmd.community, cmd.building, cmd.unit, cmd.room, region))


def _propose_to_desk(uow: UnitOfWork, now: datetime, ticket: Ticket) -> None:
    line = proposals.proposal_line(uow, ticket)
    if line:
        tell_desk(uow, now, ticket, "parts_proposal",
                  f"【备件建议】{ticket.number} {line}。预留请发：预留 {ticket.number} 配件编号 数量")
