"""Keeping a ticket's SLA clock: the one indexed next-due time, and firing what is due."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from domain.model import Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.sla import Deadlines, SlaTimer, next_timer
from domain.ticket import State, Ticket

KIND_WORDS = {"accept": "接单", "arrive": "上门", "resolve": "解决"}


def _fired(ticket: Ticket) -> set[tuple[str, str]]:
    return {tuple(k.split(":", 1)) for k in ticket.sla_fired}  # type: ignore[misc]


def _met(ticket: Ticket) -> set[str]:
    met = {"accept"} if ticket.accepted_at else set()
    if ticket.arrived_at:
        met.add("arrive")
    if ticket.resolved_at:
        met.add("resolve")
    return met


def upcoming(ticket: Ticket, rules: Rules) -> SlaTimer | None:
    """The next timer still to fire, or None: closed, paused (waiting) or nothing left."""
    policy = rules.policy(ticket.type, ticket.priority)
    if (policy is None or not ticket.is_open or ticket.state is State.WAITING
            or not (ticket.accept_by and ticket.arrive_by and ticket.resolve_by)):
        return None
    due = Deadlines(ticket.accept_by, ticket.arrive_by, ticket.resolve_by)
    return next_timer(policy, rules.calendars[policy.calendar], ticket.created_at, due,
                      fired=_fired(ticket), met=_met(ticket), escalate_after=rules.escalate_after)  # type: ignore[arg-type]


def refresh(ticket: Ticket, rules: Rules) -> None:
    timer = upcoming(ticket, rules)
    ticket.next_due_at = timer.due if timer else None


def fire_due(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> int:
    """Fire every timer due by `now`, each once (the fired keys survive clock jumps)."""
    count = 0
    while (timer := upcoming(ticket, rules)) is not None and timer.due <= now:
        ticket.sla_fired = [*ticket.sla_fired, f"{timer.kind}:{timer.stage}"]
        if timer.stage == "warn" and _deadline(ticket, timer) <= now:
            continue  # found only after its deadline (worker down, clock jump): the breach speaks instead
        _announce(uow, rules, now, ticket, timer)
        count += 1
    refresh(ticket, rules)
    return count


def _deadline(ticket: Ticket, timer: SlaTimer) -> datetime:
    return getattr(ticket, f"{timer.kind}_by")


def _announce(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket, timer: SlaTimer) -> None:
    word, deadline = KIND_WORDS[timer.kind], texts.when(getattr(ticket, f"{timer.kind}_by"), rules.tz)
    key = f"{ticket.number}:sla:{timer.kind}:{timer.stage}"
    if timer.stage == "warn":
        if ticket.assignee_id:
            text = f"【时效提醒】工单 {ticket.number} 需在 {deadline} 前完成{word}，请抓紧。"
            uow.outbox.add(Notice(Role.TECHNICIAN, ticket.assignee_id, "sla_warn", text,
                                  f"{key}:{ticket.assignee_id}", ticket.number), now)
            return
        # Nobody owns it yet (posted for grabs, or no one fitted): the desk is who can act.
        text = f"【时效提醒】工单 {ticket.number} 需在 {deadline} 前完成{word}，目前还没有师傅负责" \
               f"（{texts.state(ticket)}），请跟进。"
        role = Role.DISPATCHER
    elif timer.stage == "breach":
        ticket.breaches = [*ticket.breaches, timer.kind]
        ticket.record("sla_breach", "system", now, f"{word}超时（时限 {deadline}）")
        text = f"【超时】工单 {ticket.number} 已超过{word}时限（{deadline}），当前{texts.state(ticket)}，" \
               f"{texts.tech_label(uow, ticket.assignee_id)}。"
        role = Role.DISPATCHER
    else:
        ticket.record("sla_escalate", "system", now, f"{word}超时升级主管")
        text = f"【超时升级】工单 {ticket.number} {word}超时仍未处理（时限 {deadline}），请主管跟进。"
        role = Role.MANAGER
    for person in uow.people.staff_with_role(role):
        uow.outbox.add(Notice(role, person.id, f"sla_{timer.stage}", text, f"{key}:{person.id}",
                              ticket.number), now)


def watch(uow: UnitOfWork, rules: Rules, now: datetime, limit: int) -> tuple[int, int]:
    """Up to `limit` tickets whose next timer is due, locked so workers share the work: (how many
    were taken, how many timers fired). Fewer taken than asked means nothing more is due."""
    fired = 0
    tickets = uow.tickets.sla_due(now, limit)
    for ticket in tickets:
        fired += fire_due(uow, rules, now, ticket)
        uow.tickets.save(ticket)
    return len(tickets), fired
