"""A technician hands a job back to the desk: the job stays as it is, the desk is told to reassign it."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from domain.commands import HandBack
from domain.errors import Refused
from domain.ports import UnitOfWork
from domain.progress import own_job
from domain.rules import Rules
from domain.saving import keep
from domain.telling import tell_desk
from domain.ticket import State, Ticket

HANDED = (State.ACCEPTED, State.IN_PROGRESS, State.WAITING)


def hand_back(uow: UnitOfWork, rules: Rules, now: datetime, cmd: HandBack) -> Ticket:
    tech, reason = cmd.tech, cmd.reason
    ticket = own_job(uow, cmd.number, tech)
    if ticket.state not in HANDED:
        raise Refused(f"工单 {ticket.number} 当前{texts.state(ticket)}，不能退回。")
    ticket.record("hand_back", tech.label, now, reason)
    keep(uow, rules, ticket)
    who = texts.who(uow.people.technician(tech.id), tech.id)
    tell_desk(uow, now, ticket, "hand_back",
              f"【师傅退回】{ticket.number} {who} 申请退回：{reason or '未说明原因'}。"
              f"请改派：派单 {ticket.number} 给 <师傅>")
    return ticket
