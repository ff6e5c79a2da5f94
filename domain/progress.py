"""Use cases after dispatch: the visit, holds, completion, the owner's answer, the desk's moves."""
from __future__ import annotations

from datetime import datetime

from domain import parts as spare_parts
from domain import callbacks, survey, texts
from domain.model import Role
from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.actors import Actor
from domain.commands import (AddDetail, Arrive, Assign, AttachPhoto, BookVisit, Cancel, Confirm, Depart, Finish, Hold,
                             NoteLocation, Rate, Resume, SetPriority, Urge)
from domain.deadlines import set_deadlines
from domain.errors import Refused
from domain.offers import offer
from domain.saving import keep, locked
from domain.telling import notify, tell_desk, tell_owner
from domain.ticket import Action, State, Ticket


def own_job(uow: UnitOfWork, number: str, tech: Actor) -> Ticket:
    ticket = locked(uow, number)
    if ticket.assignee_id != tech.id or ticket.state is State.ASSIGNED:
        raise Refused(f"工单 {ticket.number} 不是您负责的工单。")
    return ticket


def own_ticket(uow: UnitOfWork, number: str, owner: Actor) -> Ticket:
    ticket = locked(uow, number)
    if str(ticket.customer_id) != owner.id:
        raise Refused(texts.unknown_ticket(number))
    return ticket


def _step(ticket: Ticket, action: Action, actor: Actor, now: datetime, reason: str = "") -> None:
    if not ticket.can(action):
        raise Refused(texts.cannot(ticket, action))
    ticket.apply(action, actor.label, now, reason)


def book_visit(uow: UnitOfWork, rules: Rules, now: datetime, cmd: BookVisit) -> Ticket:
    tech, start, end = cmd.tech, cmd.start, cmd.end
    ticket = own_job(uow, cmd.number, tech)
    if ticket.state not in (State.ACCEPTED, State.WAITING):
        raise Refused(f"工单 {ticket.number} 当前{texts.state(ticket)}，不能预约。")
    ticket.appointment_start, ticket.appointment_end = start, end
    slot = texts.window(start, end, rules.tz)
    ticket.record("appoint", tech.label, now, slot)
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "appointment", f"工单 {ticket.number}：师傅已预约 {slot} 上门，请留意。")
    return ticket


def depart(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Depart) -> Ticket:
    tech = cmd.tech
    ticket = own_job(uow, cmd.number, tech)
    if ticket.state is not State.ACCEPTED:
        raise Refused(f"工单 {ticket.number} 当前{texts.state(ticket)}，不需要出发。")
    ticket.record("depart", tech.label, now)
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "on_the_way", f"工单 {ticket.number}：师傅已出发，正在赶来，请保持电话畅通。")
    return ticket


def arrive(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Arrive) -> Ticket:
    """The check-in; `where` (a shared location's label and coordinates) goes into the audit."""
    tech = cmd.tech
    ticket = own_job(uow, cmd.number, tech)
    _step(ticket, Action.ARRIVE, tech, now, cmd.where)
    ticket.arrived_at = now
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "arrived", f"工单 {ticket.number}：师傅已到达现场，开始处理。")
    return ticket


def hold(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Hold) -> Ticket:
    tech, reason = cmd.tech, cmd.reason
    ticket = own_job(uow, cmd.number, tech)
    _step(ticket, Action.HOLD, tech, now, reason)
    ticket.hold_reason = reason
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "waiting", f"工单 {ticket.number} 暂时挂起：{reason or '等待中'}。恢复后会通知您。")
    return ticket


def resume(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Resume) -> Ticket:
    tech = cmd.tech
    ticket = own_job(uow, cmd.number, tech)
    _step(ticket, Action.RESUME, tech, now)
    set_deadlines(ticket, rules, ticket.created_at)  # the closed pause is credited
    ticket.hold_reason = ""
    keep(uow, rules, ticket)
    tell_owner(uow, now, ticket, "resumed", f"工单 {ticket.number} 已恢复处理。")
    return ticket


def finish(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Finish) -> tuple[Ticket, list[str]]:
    """Returns the ticket and the part names that matched nothing (kept in the note only)."""
    tech, note, parts = cmd.tech, cmd.note, cmd.parts
    ticket = own_job(uow, cmd.number, tech)
    _step(ticket, Action.RESOLVE, tech, now, note)
    ticket.resolved_at, ticket.resolution_note = now, note
    # a second visit after 没修好 adds to the first visit's parts, it does not replace them
    ticket.parts_used = "；".join(p for p in (ticket.parts_used, parts.strip()) if p)[:500]
    unknown = spare_parts.use(uow, now, ticket, parts)
    spare_parts.price(ticket, rules)
    survey.after_resolve(ticket, rules, now)
    keep(uow, rules, ticket)
    charge = f"\n本次费用：{spare_parts.yuan(ticket.charge_cents)}（人工 {spare_parts.yuan(ticket.labour_cents)} + " \
             f"配件 {spare_parts.yuan(ticket.parts_cents)}）" if ticket.charge_cents else ""
    tell_owner(uow, now, ticket, "resolved",
               f"工单 {ticket.number} 师傅已完工：{note or '已处理'}。{charge}\n请确认是否修好：", survey.CONFIRM_BUTTONS)
    return ticket, unknown


def confirm(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Confirm) -> Ticket:
    owner = cmd.owner
    ticket = own_ticket(uow, cmd.number, owner)
    if not cmd.fixed:
        _step(ticket, Action.REOPEN, owner, now, "业主反馈未修好")
        ticket.reopen_count += 1
        ticket.resolved_at = ticket.closed_at = None
        survey.schedule(ticket, "", None)
        keep(uow, rules, ticket)
        if ticket.assignee_id is None:   # settled with an incident: nobody of ours was there yet
            tell_desk(uow, now, ticket, "reopened", f"工单 {ticket.number}：批量故障处理后业主反馈仍未恢复，请派师傅上门。")
            return ticket
        notify(uow, now, Notice(Role.TECHNICIAN, ticket.assignee_id, "reopened",
                                f"工单 {ticket.number}：业主反馈没有修好，请尽快再次上门。",
                                f"{ticket.number}:reopened:{now.isoformat()}", ticket.number))
        return ticket
    _step(ticket, Action.CONFIRM, owner, now)
    ticket.closed_at = now
    survey.ask_rating(uow, rules, now, ticket)
    keep(uow, rules, ticket)
    return ticket


def rate(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Rate) -> Ticket:
    owner, stars, comment = cmd.owner, cmd.stars, cmd.comment
    ticket = own_ticket(uow, cmd.number, owner)
    if not 1 <= stars <= 5:
        raise Refused("评分请用 1 到 5 的数字。")
    if ticket.state is State.RESOLVED:
        _step(ticket, Action.CONFIRM, owner, now, "评价即确认")
        ticket.closed_at = now
    if ticket.state is not State.CLOSED:
        raise Refused(f"工单 {ticket.number} 还没有完成，完成后再评价吧。")
    if ticket.rating is not None:
        raise Refused(f"工单 {ticket.number} 已经评价过了，谢谢！")
    if survey.rating_closed(ticket):
        raise Refused(f"工单 {ticket.number} 的评价期已过，已记为无评价。如仍有问题，直接回复即可再次报修。")
    ticket.rating, ticket.rating_comment = stars, comment
    survey.schedule(ticket, "", None)
    uow.outbox.withdraw(survey.survey_key(ticket))  # rated before the question went out: no question
    ticket.record("rate", owner.label, now, f"{stars}星 {comment}".strip())
    if stars <= callbacks.LOW:
        callbacks.open_callback(ticket, now, stars)
    keep(uow, rules, ticket)
    if stars <= 2:
        tell_desk(uow, now, ticket, "low_rating",
                  f"【差评回访】{ticket.number} 业主评分 {stars} 星：{comment or '无评价'}，请尽快回访。"
                  f"回访后回复：已回访 {ticket.number} 备注")
    return ticket


def urge(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Urge) -> Ticket:
    owner = cmd.owner
    ticket = own_ticket(uow, cmd.number, owner)
    if not ticket.is_open:
        raise Refused(f"工单 {ticket.number} {texts.state(ticket)}，无需催单。")
    ticket.urge_count += 1
    ticket.record("urge", owner.label, now, f"第{ticket.urge_count}次催单")
    keep(uow, rules, ticket)
    text = f"【催单】业主催促工单 {ticket.number}（第{ticket.urge_count}次），请尽快处理。"
    if ticket.assignee_id and ticket.state is not State.ASSIGNED:
        notify(uow, now, Notice(Role.TECHNICIAN, ticket.assignee_id, "urge", text,
                                f"{ticket.number}:urge-{ticket.urge_count}", ticket.number))
    else:
        tell_desk(uow, now, ticket, f"urge{ticket.urge_count}", text)
    return ticket


def cancel(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Cancel) -> Ticket:
    owner = cmd.owner
    ticket = own_ticket(uow, cmd.number, owner)
    _step(ticket, Action.CANCEL, owner, now, cmd.reason or "业主取消")
    previous, ticket.assignee_id, ticket.offer_expires_at = ticket.assignee_id, None, None
    survey.schedule(ticket, "", None)
    spare_parts.release_all(uow, ticket)
    keep(uow, rules, ticket)
    if previous:
        notify(uow, now, Notice(Role.TECHNICIAN, previous, "cancelled", f"工单 {ticket.number} 已被业主取消。",
                                f"{ticket.number}:cancelled", ticket.number))
    return ticket


def attach_photo(uow: UnitOfWork, rules: Rules, now: datetime, cmd: AttachPhoto) -> Ticket:
    ticket = _own(uow, cmd.number, cmd.actor)
    ticket.photos = [*ticket.photos, cmd.media]
    ticket.record("photo", cmd.actor.label, now, cmd.media)
    uow.tickets.save(ticket)
    return ticket


def add_detail(uow: UnitOfWork, rules: Rules, now: datetime, cmd: AddDetail) -> Ticket:
    """More of the story from the owner just after reporting: added to the description the technician
    reads. A hazard told now (the water has reached the floor) makes the ticket urgent."""
    ticket = own_ticket(uow, cmd.number, cmd.owner)
    if not ticket.is_open:
        raise Refused(texts.cannot(ticket, Action.CANCEL))
    ticket.description = f"{ticket.description}；补充：{cmd.detail}"[:2000]
    ticket.record("detail", cmd.owner.label, now, cmd.detail[:300])
    if cmd.hazard and ticket.priority != rules.urgent_priority:
        ticket.record("priority", cmd.owner.label, now, f"{ticket.priority} → {rules.urgent_priority}")
        ticket.priority = rules.urgent_priority
        set_deadlines(ticket, rules, ticket.created_at)
    keep(uow, rules, ticket)
    return ticket


def note_location(uow: UnitOfWork, rules: Rules, now: datetime, cmd: NoteLocation) -> Ticket:
    """A location shared about a ticket (the owner's site, the technician on site), kept in the audit."""
    ticket = _own(uow, cmd.number, cmd.actor)
    ticket.record("location", cmd.actor.label, now, cmd.where)
    uow.tickets.save(ticket)
    return ticket


def _own(uow: UnitOfWork, number: str, actor: Actor) -> Ticket:
    return own_ticket(uow, number, actor) if actor.role is Role.OWNER else own_job(uow, number, actor)


def assign(uow: UnitOfWork, rules: Rules, now: datetime, cmd: Assign) -> Ticket:
    tech_ref, desk = cmd.tech_ref, cmd.desk
    ticket = locked(uow, cmd.number)
    tech = uow.people.find_technician(tech_ref)
    if tech is None:
        raise Refused(f"没有找到师傅 {tech_ref[:20]}。")
    if not ticket.can(Action.ASSIGN):
        raise Refused(texts.cannot(ticket, Action.ASSIGN))
    if tech.id == ticket.assignee_id and ticket.state is not State.NEW:
        # Offering it again would take back an acceptance the owner has been told about.
        raise Refused(f"工单 {ticket.number} 已经是 {tech.name} 的（{texts.state(ticket)}），无需再派。")
    previous = ticket.assignee_id
    ticket.declined = [t for t in ticket.declined if t != tech.id]
    if previous and previous != tech.id:
        _fresh_acceptance(ticket, now)
        set_deadlines(ticket, rules, ticket.created_at)
    offer(uow, rules, now, ticket, tech.id, Action.ASSIGN, desk, "人工派单")
    if previous and previous != tech.id:
        notify(uow, now, Notice(Role.TECHNICIAN, previous, "reassigned",
                                f"工单 {ticket.number} 已改派给其他师傅，您无需再处理。",
                                f"{ticket.number}:reassigned-{previous}:{now.isoformat()}", ticket.number))
    return ticket


def _fresh_acceptance(ticket: Ticket, now: datetime) -> None:
    """A new technician gets their own acceptance clock: the old one's acceptance
    and its fired accept timers belong to the previous assignee."""
    ticket.accepted_at, ticket.accept_from = None, now
    ticket.sla_fired = [k for k in ticket.sla_fired if not k.startswith("accept:")]


def set_priority(uow: UnitOfWork, rules: Rules, now: datetime, cmd: SetPriority) -> Ticket:
    priority, desk = cmd.priority, cmd.desk
    ticket = locked(uow, cmd.number)
    if priority not in {p.code for p in rules.priorities}:
        raise Refused("优先级可选：" + "、".join(p.name for p in rules.priorities))
    if not ticket.is_open:
        raise Refused(f"工单 {ticket.number} {texts.state(ticket)}，不能修改优先级。")
    ticket.record("priority", desk.label, now, f"{ticket.priority} → {priority}")
    ticket.priority = priority
    set_deadlines(ticket, rules, ticket.created_at)
    keep(uow, rules, ticket)
    return ticket
