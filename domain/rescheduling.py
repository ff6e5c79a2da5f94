"""The owner asks to move or call off the visit: the ticket stays, the technician (or the desk) is told."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from domain.commands import AskToReschedule
from domain.errors import Refused
from domain.model import Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.progress import own_ticket
from domain.rules import Rules
from domain.saving import keep
from domain.telling import notify, tell_desk
from domain.ticket import State, Ticket

MOVABLE = (State.NEW, State.ASSIGNED, State.ACCEPTED, State.WAITING)


def ask_to_reschedule(uow: UnitOfWork, rules: Rules, now: datetime, cmd: AskToReschedule) -> tuple[Ticket, str]:
    """Returns the ticket and who was told ("师傅" or "客服")."""
    owner, start, end, drop = cmd.owner, cmd.start, cmd.end, cmd.drop
    ticket = own_ticket(uow, cmd.number, owner)
    if ticket.state not in MOVABLE:
        raise Refused(f"工单 {ticket.number} 当前{texts.state(ticket)}，不需要改约。")
    wanted = texts.window(start, end, rules.tz) if start else ""
    before = texts.window(ticket.appointment_start, ticket.appointment_end, rules.tz) \
        if ticket.appointment_start else ""
    if drop or start:
        ticket.appointment_start = ticket.appointment_end = None
    ticket.record("reschedule_request", owner.label, now, wanted or ("取消预约" if drop else "业主希望改时间"))
    keep(uow, rules, ticket)
    text = (f"【改约】工单 {ticket.number}：业主" + (f"希望改到 {wanted}" if wanted else
            "取消了原定的上门时间" if drop else "希望换个上门时间") + (f"（原预约 {before}）" if before else "")
            + f"。请与业主确认后重新预约：预约 {ticket.number} <新时间>")
    if ticket.assignee_id and ticket.state in (State.ACCEPTED, State.WAITING):
        notify(uow, now, Notice(Role.TECHNICIAN, ticket.assignee_id, "reschedule", text,
                                f"{ticket.number}:reschedule:{now.isoformat()}", ticket.number))
        return ticket, "师傅"
    tell_desk(uow, now, ticket, "reschedule", text.replace("请与业主确认后重新预约", "派单时请告知师傅").split("：预约")[0])
    return ticket, "客服"
