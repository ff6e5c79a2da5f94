"""客户 <手机号|工单号>: everything about a customer in one message, for the service desk."""
from __future__ import annotations

from datetime import date

from domain import texts
from domain.model import Customer, mask_phone, mask_phones
from domain.services import Refused
from handlers.base import Ctx
from handlers.extract import find_phone
from storage.uow import SqlUnitOfWork

WARRANTY = {"in": "保内", "expired": "已过保", "unknown": "保修未知"}


def find_customer(uow: SqlUnitOfWork, ref: str, prefix_number: str | None) -> Customer:
    if prefix_number:
        ticket = uow.tickets.get(prefix_number)
        customer = uow.people.customer(ticket.customer_id) if ticket else None
    else:
        phone = find_phone(ref)
        customer = uow.people.customer_by_phone(phone) if phone else None
    if customer is None:
        raise Refused("没有找到这位客户，请用手机号或工单号查询：客户 13800138000")
    return customer


def card(ctx: Ctx, uow: SqlUnitOfWork, customer: Customer) -> str:
    assert customer.id is not None
    rules, today = ctx.desk.rules, ctx.now.astimezone(ctx.desk.rules.tz).date()
    lines = [f"👤 客户 {customer.name or '（未留名）'} {mask_phone(customer.phone)}"]
    lines += _assets(uow, customer.id, today)
    tickets = uow.tickets.for_customer(customer.id, open_only=False)
    rated = [t.rating for t in tickets if t.rating is not None]
    repeats = sum(t.reopen_count for t in tickets)
    summary = f"工单 {len(tickets)} 张 · 返修 {repeats} 次"
    if rated:
        summary += f" · 平均评分 {sum(rated) / len(rated):.1f}"
    lines.append(summary)
    for t in tickets[:8]:
        product = uow.catalog.product(t.product_sku) if t.product_sku else None
        lines.append(f"  {t.number} {rules.type_name(t.type)} {texts.state(t)} "
                     f"{product.name if product else mask_phones(t.description)[:12]}"
                     + (f" {t.rating}星" if t.rating else "") + (" 返修" if t.reopen_count else ""))
    return "\n".join(lines)


def _assets(uow: SqlUnitOfWork, customer_id: int, today: date) -> list[str]:
    lines = []
    for asset in uow.people.assets(customer_id):
        product = uow.catalog.product(asset.sku)
        site = uow.places.site(asset.site_id) if asset.site_id else None
        until = f"至{asset.warranty_end}" if asset.warranty_end else ""
        lines.append(f"  🛠 {product.name if product else asset.sku}（{asset.sku}"
                     + (f"，序列号 {asset.serial}" if asset.serial else "") + f"）{site.label() if site else ''} "
                     f"安装 {asset.install_date or asset.purchase_date or '—'} {WARRANTY[asset.warranty_on(today)]}{until}")
    return lines or ["  （无购买记录）"]
