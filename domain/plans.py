"""Preventive maintenance: a plan's firing opens one inspection ticket, dispatched like any other."""
from __future__ import annotations

from datetime import datetime

from domain.model import Role
from domain.ports import UnitOfWork
from domain.rules import Plan, Rules
from domain.actors import Actor
from domain.commands import OpenTicket
from domain.opening import open_ticket
from domain.ticket import Ticket


def open_planned(uow: UnitOfWork, rules: Rules, now: datetime, plan: Plan, fire_at: datetime) -> Ticket | None:
    """None when this firing already has its ticket (a second worker, a restart, a clock jump)."""
    if not uow.tickets.claim_plan_run(plan.id, fire_at):
        return None
    cmd = OpenTicket(phone=plan.contact_phone, type=plan.type, priority=plan.priority,
                     description=plan.description, community=plan.community, building=plan.building,
                     product_sku=plan.product_sku, customer_name=f"{plan.community}物业",
                     by=Actor(Role.ADMIN, f"plan:{plan.id}"[:40], "计划任务"))
    ticket = open_ticket(uow, rules, now, cmd)
    uow.tickets.claim_plan_run(plan.id, fire_at, ticket.number)
    return ticket
