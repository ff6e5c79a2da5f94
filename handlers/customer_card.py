"""客户 <手机号|工单号|序列号>: everything about a customer in one message, for the service desk."""
from __future__ import annotations

from datetime import date

from domain import texts
from domain.model import Customer, mask_phone, mask_phones
from domain.errors import Refused
from domain.stats import repeat_pairs
from domain.ticket import Ticket
from handlers.base import Ctx
from handlers.text import find_phone
from storage.uow import SqlUnitOfWork

WARRANTY = texts.WARRANTY
SHOWN_TICKETS = 10   # newest first; the count says how many more there are


def find_customer(uow: SqlUnitOfWork, ref: str, prefix_number: str | None) -> Customer:
    customer = None
    if prefix_number:
        ticket = uow.tickets.get(prefix_number)
        customer = uow.people.customer(ticket.customer_id) if ticket else None
    elif (phone := find_phone(ref)) is not None:
        customer = uow.people.customer_by_phone(phone)
    elif ref.strip():
        asset = uow.people.asset_by_serial(ref.strip()[:64])
        customer = uow.people.customer(asset.customer_id) if asset else None
    if customer is None:
        raise Refused("没有找到这位客户，请用手机号、工单号或产品序列号查询：客户 13800138000")
    return customer


def card(ctx: Ctx, uow: SqlUnitOfWork, customer: Customer) -> str:
    assert customer.id is not None
    today = ctx.now.astimezone(ctx.desk.rules.tz).date()
    tickets = uow.tickets.for_customer(customer.id, open_only=False)   # newest first
    lines = [f"👤 客户 {customer.name or '（未留名）'} {mask_phone(customer.phone)}"]
    lines += _sites(uow, customer.id, tickets)
    lines += _assets(uow, customer.id, today)
    lines += _summary(tickets)
    lines += _history(ctx, uow, tickets)
    lines += _repeats(uow, tickets)
    return "\n".join(lines)


def _sites(uow: SqlUnitOfWork, customer_id: int, tickets: list[Ticket]) -> list[str]:
    ids = [a.site_id for a in uow.people.assets(customer_id)] + [t.site_id for t in tickets]
    labels = [site.label() for i in dict.fromkeys(ids) if i and (site := uow.places.site(i))]
    return [f"📍 地址：{'；'.join(labels)}"] if labels else ["📍 地址：（无）"]


def _assets(uow: SqlUnitOfWork, customer_id: int, today: date) -> list[str]:
    lines = []
    for asset in uow.people.assets(customer_id):
        product = uow.catalog.product(asset.sku)
        site = uow.places.site(asset.site_id) if asset.site_id else None
        until = f"至{asset.warranty_end}" if asset.warranty_end else ""
        lines.append(f"  🛠 {product.name if product else asset.sku}（{asset.sku}"
                     + (f"，序列号 {asset.serial}" if asset.serial else "") + f"）{site.label() if site else ''} "
                     f"购买 {asset.purchase_date or '—'} 安装 {asset.install_date or '—'} "
                     f"{WARRANTY[asset.warranty_on(today)]}{until}")
    return ["购买与设备："] + (lines or ["  （无购买记录）"])


def _summary(tickets: list[Ticket]) -> list[str]:
    rated = [t.rating for t in tickets if t.rating is not None]
    reopened = sum(t.reopen_count for t in tickets)
    line = f"工单 {len(tickets)} 张 · 返工 {reopened} 次 · 同一设备30天内返修 {len(repeat_pairs(tickets))} 次"
    line += f" · 平均评分 {sum(rated) / len(rated):.1f}（{len(rated)} 条）" if rated else " · 暂无评分"
    charged = sum(t.charge_cents for t in tickets)
    cost = sum(t.labour_cents + t.parts_cents for t in tickets)
    return [line, f"累计费用 {texts.money(cost)}，客户支付 {texts.money(charged)}"]


def _history(ctx: Ctx, uow: SqlUnitOfWork, tickets: list[Ticket]) -> list[str]:
    rules = ctx.desk.rules
    lines = []
    for t in tickets[:SHOWN_TICKETS]:
        product = uow.catalog.product(t.product_sku) if t.product_sku else None
        day = t.created_at.astimezone(rules.tz).date()
        lines.append(f"  {t.number} {day:%m-%d} {rules.type_name(t.type)} {texts.state(t)} "
                     f"{product.name if product else mask_phones(t.description)[:12]} {WARRANTY.get(t.warranty, '')}"
                     + (f" 支付{texts.money(t.charge_cents)}" if t.charge_cents else "")
                     + (f" {t.rating}星" if t.rating else "") + (" 返工" if t.reopen_count else ""))
    if len(tickets) > SHOWN_TICKETS:
        lines.append(f"  …另有 {len(tickets) - SHOWN_TICKETS} 张更早的工单")
    return lines


def _repeats(uow: SqlUnitOfWork, tickets: list[Ticket]) -> list[str]:
    lines = []
    for earlier, later in repeat_pairs(tickets):
        product = uow.catalog.product(later.product_sku) if later.product_sku else None
        days = (later.created_at - (earlier.closed_at or earlier.created_at)).days
        lines.append(f"  ↻ {product.name if product else later.product_sku or ''}"
                     + (f"（{later.asset_serial}）" if later.asset_serial else "")
                     + f"：{earlier.number} → {later.number}，相隔 {days} 天")
    return ["30天内返修："] + lines if lines else []
