"""Tickets for a spreadsheet: every field an operator filters on, one row per ticket, in Chinese."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from domain.model import mask_phone, mask_phones
from domain.rules import Rules
from domain.texts import WARRANTY
from domain.ticket import LABELS, State, Ticket
from storage import mapping
from storage.tables import CustomerRow, SiteRow, TechnicianRow, TicketRow
from storage.uow import SqlUnitOfWork

# (header, how the value is read from an ExportRow); the order is the sheet's column order
COLUMNS: tuple[str, ...] = (
    "工单号", "类型", "优先级", "状态", "报修时间", "接单时间", "到场时间", "完工时间", "关闭时间",
    "接单时限", "上门时限", "解决时限", "超时", "客户", "电话", "小区", "楼栋", "单元", "房号", "区域",
    "产品", "序列号", "保修", "师傅", "描述", "处理结果", "人工费", "配件费", "客户支付", "评分", "评价",
    "催单次数", "返修次数")
TIMES = frozenset({"报修时间", "接单时间", "到场时间", "完工时间", "关闭时间", "接单时限", "上门时限", "解决时限"})
MONEY = frozenset({"人工费", "配件费", "客户支付"})


@dataclass(frozen=True)
class Filter:
    first: date
    last: date
    state: State | None = None
    region: str | None = None


def export_rows(uow: SqlUnitOfWork, rules: Rules, f: Filter, full_phones: bool = False) -> list[list[object]]:
    """Tickets opened first..last (desk time), oldest first; times as naive local datetimes (Excel has no zones)."""
    start = datetime.combine(f.first, time(0), rules.tz)
    end = datetime.combine(f.last + timedelta(days=1), time(0), rules.tz)
    stmt = (select(TicketRow, CustomerRow.phone, CustomerRow.name, SiteRow, TechnicianRow.name)
            .join(CustomerRow, CustomerRow.id == TicketRow.customer_id)
            .outerjoin(SiteRow, SiteRow.id == TicketRow.site_id)
            .outerjoin(TechnicianRow, TechnicianRow.id == TicketRow.assignee_id)
            .where(TicketRow.created_at >= start, TicketRow.created_at < end).order_by(TicketRow.id))
    if f.state is not None:
        stmt = stmt.where(TicketRow.state == f.state.value)
    if f.region:
        stmt = stmt.where(SiteRow.region == f.region)
    names = {p.sku: p.name for p in uow.catalog.products()}
    rows = []
    for row, phone, customer, site, tech in uow.session.execute(stmt):
        t = mapping.ticket(row)
        rows.append(_row(t, rules, phone if full_phones else mask_phone(phone), customer, site, tech, names))
    return rows


def _row(t: Ticket, rules: Rules, phone: str, customer: str, site: SiteRow | None, tech: str | None,
         names: dict[str, str]) -> list[object]:
    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(rules.tz).replace(tzinfo=None) if at else None

    return [
        t.number, rules.type_name(t.type), rules.priority_name(t.priority), LABELS[t.state],
        local(t.created_at), local(t.accepted_at), local(t.arrived_at), local(t.resolved_at), local(t.closed_at),
        local(t.accept_by), local(t.arrive_by), local(t.resolve_by), "是" if t.breaches else "否",
        customer, phone, site.community if site else "", site.building if site else "", site.unit if site else "",
        site.room if site else "", site.region if site else "",
        names.get(t.product_sku or "", t.product_sku or ""), t.asset_serial or "", WARRANTY.get(t.warranty, t.warranty),
        tech or t.assignee_id or "", mask_phones(t.description), mask_phones(t.resolution_note),
        t.labour_cents / 100, t.parts_cents / 100, t.charge_cents / 100, t.rating, mask_phones(t.rating_comment),
        t.urge_count, t.reopen_count]
