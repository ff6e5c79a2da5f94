"""Follow-up calls (回访) after a low rating: opened by the rating, listed and closed by the desk."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.commands import CloseCallback
from domain.errors import Refused
from domain.saving import keep, locked
from domain.ticket import Ticket

LOW = 2   # a score at or below this opens a follow-up


def open_callback(ticket: Ticket, now: datetime, stars: int) -> None:
    ticket.callback_state, ticket.callback_note = "open", ""
    ticket.record("callback_open", "system", now, f"{stars}星，待回访")


def close_callback(uow: UnitOfWork, rules: Rules, now: datetime, cmd: CloseCallback) -> Ticket:
    desk, note = cmd.desk, cmd.note
    ticket = locked(uow, cmd.number)
    if ticket.callback_state != "open":
        raise Refused(f"工单 {ticket.number} 没有待回访记录。" if ticket.callback_state != "done"
                      else f"工单 {ticket.number} 已回访过：{ticket.callback_note or '无备注'}")
    if not note.strip():
        raise Refused(f"请写上回访结果：已回访 {ticket.number} 已致电业主，同意再次上门")
    ticket.callback_state, ticket.callback_note = "done", note.strip()[:300]
    ticket.record("callback_done", desk.label, now, ticket.callback_note)
    keep(uow, rules, ticket)
    return ticket


def pending_text(tickets: list[Ticket], rules: Rules) -> str:
    if not tickets:
        return "当前没有待回访的工单。"
    lines = [f"{t.number} {t.rating}星 {t.rating_comment[:20] or '无评价'} 完成于 {texts.when(t.closed_at, rules.tz)}"
             for t in tickets]
    return f"待回访 {len(tickets)} 张（回访后请回复：已回访 工单号 备注）：\n" + "\n".join(lines)
