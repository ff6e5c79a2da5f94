"""A ticket as JSON for the CLI and the REST API: the same shape in both, phone masked."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.model import mask_phone, mask_phones
from domain.texts import WARRANTY
from domain.rules import Rules
from domain.ticket import LABELS, Ticket
from storage.incidents import SqlIncidents
from storage.uow import SqlUnitOfWork


def _iso(at: datetime | None, rules: Rules) -> str | None:
    return at.astimezone(rules.tz).isoformat(timespec="seconds") if at else None


def ticket_view(uow: SqlUnitOfWork, ticket: Ticket, rules: Rules, trail: bool = False) -> dict[str, Any]:
    customer = uow.people.customer(ticket.customer_id)
    site = uow.places.site(ticket.site_id) if ticket.site_id else None
    product = uow.catalog.product(ticket.product_sku) if ticket.product_sku else None
    tech = uow.people.technician(ticket.assignee_id) if ticket.assignee_id else None
    view: dict[str, Any] = {
        "number": ticket.number, "type": ticket.type, "type_name": rules.type_name(ticket.type),
        "state": ticket.state.value, "state_label": LABELS[ticket.state], "priority": ticket.priority,
        "priority_name": rules.priority_name(ticket.priority),
        "description": mask_phones(ticket.description),
        "customer": {"phone": mask_phone(customer.phone) if customer else None,
                     "name": customer.name if customer else ""},
        "site": {"community": site.community, "building": site.building, "unit": site.unit,
                 "room": site.room, "region": site.region} if site else None,
        "product": {"sku": product.sku, "name": product.name} if product else (
            {"sku": ticket.product_sku, "name": None} if ticket.product_sku else None),
        "assignee_id": ticket.assignee_id, "assignee_name": tech.name if tech else None,
        "appointment": {"start": _iso(ticket.appointment_start, rules), "end": _iso(ticket.appointment_end, rules)}
        if ticket.appointment_start else None,
        "deadlines": {"accept_by": _iso(ticket.accept_by, rules), "arrive_by": _iso(ticket.arrive_by, rules),
                      "resolve_by": _iso(ticket.resolve_by, rules)},
        "created_at": _iso(ticket.created_at, rules), "accepted_at": _iso(ticket.accepted_at, rules),
        "arrived_at": _iso(ticket.arrived_at, rules), "resolved_at": _iso(ticket.resolved_at, rules),
        "closed_at": _iso(ticket.closed_at, rules), "hold_reason": mask_phones(ticket.hold_reason),
        "resolution_note": mask_phones(ticket.resolution_note), "parts_used": mask_phones(ticket.parts_used),
        "photos": len(ticket.photos), "rating": ticket.rating, "rating_comment": mask_phones(ticket.rating_comment),
        "urge_count": ticket.urge_count, "reopen_count": ticket.reopen_count,
        "asset": {"id": ticket.asset_id, "serial": ticket.asset_serial} if ticket.asset_id else None,
        "warranty": ticket.warranty, "warranty_label": WARRANTY.get(ticket.warranty, ticket.warranty),
        "costs": {"labour": ticket.labour_cents / 100, "parts": ticket.parts_cents / 100,
                  "charge": ticket.charge_cents / 100},
    }
    view["callback"] = {"state": ticket.callback_state, "note": ticket.callback_note} \
        if ticket.callback_state else None
    incident = SqlIncidents(uow.session).of_ticket(ticket.number)
    view["incident"] = {"id": incident.id, "kind": incident.kind_name, "status": incident.status,
                        "lead": incident.lead_number,
                        "tickets": SqlIncidents(uow.session).numbers(incident.id)} if incident else None
    view["sla"] = {"next_due_at": _iso(ticket.next_due_at, rules), "breaches": list(ticket.breaches),
                   "fired": list(ticket.sla_fired)}
    if trail and ticket.id is not None:
        view["parts"] = [{"sku": r.part_sku, "quantity": r.quantity, "location": r.location, "status": r.status}
                         for r in uow.parts.reservations(ticket.id)]
        view["dispatch"] = [{"at": _iso(d.at, rules), "mode": d.mode, "chosen": d.chosen, "candidates": d.candidates}
                            for d in uow.tickets.decisions(ticket.id)]
        view["trail"] = [{"at": _iso(e.at, rules), "actor": e.actor, "action": e.action,
                          "from": e.from_state, "to": e.to_state, "reason": mask_phones(e.reason)}
                         for e in uow.tickets.trail(ticket.id)]
    return view


def _who(view: dict[str, Any]) -> str:
    if not view["assignee_id"]:
        return "—"
    return f"{view['assignee_name']}（{view['assignee_id']}）" if view["assignee_name"] else view["assignee_id"]


def ticket_text(view: dict[str, Any]) -> str:
    site = view["site"] or {}
    lines = [f"{view['number']}  {view['type_name']} · {view['priority_name']} · {view['state_label']}",
             f"客户 {view['customer']['phone']}  地址 {site.get('community', '')}{site.get('building', '')}"
             f"-{site.get('unit', '')}-{site.get('room', '')}",
             f"产品 {(view['product'] or {}).get('sku', '—')}  师傅 {_who(view)}",
             f"描述 {view['description']}",
             f"时限 接单 {view['deadlines']['accept_by']} 上门 {view['deadlines']['arrive_by']} "
             f"解决 {view['deadlines']['resolve_by']}",
             f"保修 {view['warranty_label']}  费用 人工 ¥{view['costs']['labour']:.2f} + 配件 ¥{view['costs']['parts']:.2f}"
             f" → 客户支付 ¥{view['costs']['charge']:.2f}",
             f"评分 {view['rating'] if view['rating'] is not None else '—'} {view['rating_comment']}"]
    if view.get("incident"):
        i = view["incident"]
        lines.append(f"关联故障 #{i['id']}「{i['kind']}」{'处理中' if i['status'] == 'open' else '已处理'}，"
                     f"排查工单 {i['lead']}，共 {len(i['tickets'])} 单：{'、'.join(i['tickets'])}")
    if view.get("callback"):
        state = {"open": "待回访", "done": "已回访"}[view["callback"]["state"]]
        lines.append(f"回访 {state} {view['callback']['note']}".rstrip())
    for p in view.get("parts", []):
        lines.append(f"配件 {p['sku']}×{p['quantity']} @{p['location'] or '—'} {p['status']}")
    for d in view.get("dispatch", []):
        lines.append(f"派单 {d['at']} ({d['mode']}) → {', '.join(d['chosen']) or '无人可派'}")
        lines += [f"    {c}" for c in d["candidates"]]
    for e in view.get("trail", []):
        lines.append(f"  {e['at']}  {e['actor']:<16} {e['action']:<10} {e['from']} → {e['to']}  {e['reason']}")
    return "\n".join(lines)
