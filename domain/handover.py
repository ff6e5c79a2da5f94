"""A technician hands a job back: it goes back to the queue for dispatch and the desk is told to send
someone else (never the one who gave it back)."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from domain.commands import HandBack
from domain.errors import Refused
from domain.ports import UnitOfWork
from domain.progress import own_job
from domain.rules import Rules
from domain.saving import keep
from domain.telling import tell_desk, tell_owner
from domain.ticket import Action, State, Ticket

HANDED = (State.ACCEPTED, State.IN_PROGRESS, State.WAITING)


def hand_back(uow: UnitOfWork, rules: Rules, now: datetime, cmd: HandBack) -> Ticket:
    tech, reason = cmd.tech, cmd.reason
    ticket = own_job(uow, cmd.number, tech)
    if ticket.state not in HANDED:
        raise Refused(f"工单 {ticket.number} 当前{texts.state(ticket)}，不能退回。")
    ticket.apply(Action.HAND_BACK, tech.label, now, reason)
    ticket.declined = [*ticket.declined, *([tech.id] if tech.id not in ticket.declined else [])]
    ticket.assignee_id, ticket.offer_expires_at, ticket.offered = None, None, []
    keep(uow, rules, ticket)
    who = texts.who(uow.people.technician(tech.id), tech.id)
    tell_desk(uow, now, ticket, "hand_back",
              f"【师傅退回】{ticket.number} {who} 退回了这单：{reason or '未说明原因'}。"
              f"工单已回到待派单，请改派：派单 {ticket.number} 给 <师傅>")
    tell_owner(uow, now, ticket, "hand_back",
               f"工单 {ticket.number}：原定师傅无法继续处理，我们正在为您重新安排师傅，安排好后会通知您。")
    return ticket
