"""What dispatchers and managers say in their own words: 让小李去一趟, 这单加急, 统计 本月, 师傅排行."""
from __future__ import annotations

import re
from datetime import date

from domain import figures, texts
from domain.model import Role
from domain.errors import Refused
from domain.ticket import State
from handlers import commands, conversation, desk, desk_statements, parts_chat, periods, report, slots, wording
from handlers import focus as memory
from handlers.base import Ctx
from handlers.conversation import Choose, Turn
from handlers.phrasings import PROXY_WORDS
from handlers.picking import pick
from storage.uow import SqlUnitOfWork

# The words that only say "a report on someone's behalf", however many lead the message (业主来电报修 …).
_PROXY_WORDS = re.compile("^(?:(?:{})[\\s，,：:说]*)+".format(
    "|".join(sorted(map(re.escape, PROXY_WORDS), key=len, reverse=True))))
_DEFAULT_DAYS = 30


def on_message(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    if parts_chat.answer_choice(ctx, uow, on_message):
        return
    text = ctx.inbound.text
    cmd = commands.parse(text, ctx.desk.rules.number_prefix)
    draft = report.load(ctx)
    if draft is not None and (cmd is None or cmd.verb not in ("help",)):
        report.proceed(ctx, uow, draft, text)
        return
    dispatcher = ctx.actor.role in (Role.DISPATCHER, Role.ADMIN)
    help_text = desk.DISPATCHER_HELP if dispatcher else desk.MANAGER_HELP
    allowed = desk.DISPATCHER_VERBS if dispatcher else desk.MANAGER_VERBS
    if not text.strip():
        ctx.say(help_text)
    elif cmd is not None and cmd.verb not in allowed and cmd.verb != "help":
        ctx.say(wording.other_role(commands.word(text), cmd.verb, "dispatcher" if dispatcher else "manager"))
    else:
        people = slots.people_index([slots.Person(t.id, t.name) for t in uow.people.technicians()])
        role = "dispatcher" if dispatcher else "manager"
        actions = DISPATCHER_ACTIONS if dispatcher else MANAGER_ACTIONS
        conversation.converse(ctx, uow, conversation.reader(ctx, role, (), people), actions, role,
                              lambda c, u, t: ["queue", "stats"] if dispatcher else ["stats", "overdue"])


def _typed(ctx: Ctx, turn: Turn, verb: str) -> commands.Command | None:
    typed = commands.parse(turn.text, ctx.desk.rules.number_prefix)
    return typed if typed is not None and typed.verb == verb and not turn.fill else None


def _ticket(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn, waiting_only: bool) -> str:
    """The ticket meant: named, "这单"/"上一单", or the only one waiting for a technician."""
    number = conversation.number(ctx, uow, turn)
    if number:
        return number
    waiting = uow.tickets.in_states([State.NEW] if waiting_only else [State.NEW, State.ASSIGNED])
    return pick(waiting, None, "请说明是哪张工单，例如：BX20261123-0001 派给王师傅")


def _technician(uow: SqlUnitOfWork, turn: Turn) -> str:
    named = turn.slot("technician")
    if isinstance(named, str):
        return named
    if isinstance(named, tuple) and named:
        options = {}
        for tech_id in named:
            tech = uow.people.technician(tech_id)
            options[f"{tech.name}（{tech_id}）" if tech else tech_id] = tech_id
        raise Choose(wording.which_technician(list(options)), options, "technician")
    raise Refused("派给哪位师傅？例如：让小李去一趟、派给王建国（或师傅编号 T01）")


def _assign(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    typed = _typed(ctx, turn, "assign")
    if typed is not None and typed.number:
        desk._assign(ctx, uow, typed)
        return
    tech_id = _technician(uow, turn)
    number, implied = _assign_target(ctx, uow, turn)
    ticket = uow.tickets.get(number)
    if ticket is not None and implied and ticket.assignee_id:
        # moving someone's job on the strength of what was looked at last: asked first
        tech = uow.people.technician(tech_id)
        current = texts.who(uow.people.technician(ticket.assignee_id), ticket.assignee_id)
        if not conversation.confirmed(ctx, turn, wording.reassign_question(number, tech.name if tech else tech_id,
                                                                           current),
                                      wording.CONFIRM_REASSIGN, {"number": number, "technician": tech_id}):
            return
    desk._assign(ctx, uow, commands.Command("assign", number, "给 " + tech_id))


def _assign_target(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> tuple[str, bool]:
    """The ticket to assign, and whether it was only implied (the ticket last looked at)."""
    number = conversation.number(ctx, uow, turn)
    if number:
        return number, False
    waiting = uow.tickets.in_states([State.NEW])
    if len(waiting) == 1 or (waiting and not turn.focus.last):
        return pick(waiting, None, ""), False
    last = memory.this_ticket(ctx, uow, turn.focus)
    if last is None:
        raise Refused("请说明是哪张工单，例如：BX20261123-0001 派给王师傅")
    return last, True


def _priority(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    typed = _typed(ctx, turn, "priority")
    if typed is not None and typed.number:
        desk._priority(ctx, uow, typed)
        return
    number = _ticket(ctx, uow, turn, waiting_only=False)
    code = turn.slot("priority")
    if not isinstance(code, str):  # 提高优先级: one step up from where it is
        ticket = uow.tickets.get(number)
        codes = [p.code for p in ctx.desk.rules.priorities]
        at = codes.index(ticket.priority) if ticket and ticket.priority in codes else len(codes) - 1
        code = codes[max(at - 1, 0)]
    desk._priority(ctx, uow, commands.Command("priority", number, code))


def _proxy(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    rest = _PROXY_WORDS.sub("", turn.text.strip())
    desk._proxy(ctx, uow, commands.Command("proxy", None, rest if report.looks_like_report(report.read(uow, rest))
                                           or turn.slot("phone") else ""))


def _customer(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    typed = _typed(ctx, turn, "customer")
    if typed is not None:
        desk._customer(ctx, uow, typed)
        return
    phone = turn.slot("phone")
    number = turn.slot("number")
    ref = phone if isinstance(phone, str) else turn.reading.reason
    desk._customer(ctx, uow, commands.Command("customer", number if isinstance(number, str) else None, ref))


def _workload(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    """What a technician has in hand (王建国手上有几单), as they would see it under 我的工单."""
    named = turn.slot("technician")
    tech = uow.people.technician(named) if isinstance(named, str) else None
    if tech is None:
        raise Refused("请说是哪位师傅，例如：王建国手上有几单" if named is None else
                      "有几位师傅叫这个名字，请写全名或编号，例如：T01 手上有几单")
    jobs = uow.tickets.for_technician(tech.id, parts_chat.ACTIVE)
    duty = "在岗" if tech.on_duty else "不在岗"
    ctx.say(f"{tech.name}（{tech.id}，{duty}）手上 {len(jobs)} 张工单，上限 {tech.capacity} 张"
            + "".join(f"\n{texts.job_line(t, ctx.desk.rules.tz)}" for t in jobs))


def _show(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    desk._show(ctx, uow, commands.Command("show", conversation.number(ctx, uow, turn), ""))


def _span(ctx: Ctx, turn: Turn, default_days: int = 0) -> tuple[date, date] | None:
    today = ctx.now.astimezone(ctx.desk.rules.tz).date()
    period = turn.slot("period")
    if period is None and default_days:
        return date.fromordinal(today.toordinal() - default_days + 1), today
    found = periods.span(period if isinstance(period, str) else None, today)
    if found is None or found[0] > found[1] or found[0] > today:
        ctx.say(wording.period_unknown(turn.text))
        return None
    return found[0], min(found[1], today)


def _stats(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    span = _span(ctx, turn)
    if span is not None:
        ctx.say(figures.period_text(uow, ctx.desk.rules, ctx.now, *span))
        first, last = span
        today = ctx.now.astimezone(ctx.desk.rules.tz).date()
        title = "今日统计" if first == last == today else f"{first:%m-%d} 至 {last:%m-%d} 统计"
        desk.queue_chart(ctx, uow, first, last, title)


def _overdue(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    ctx.say(figures.overdue_text(uow, ctx.desk.rules, ctx.now))


def _ranking(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    span = _span(ctx, turn, _DEFAULT_DAYS)
    if span is not None:
        ctx.say(figures.ranking_over(uow, ctx.desk.rules, *span))


def _breakdown(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    span = _span(ctx, turn, _DEFAULT_DAYS)
    by = turn.slot("by")
    if span is not None:
        ctx.say(figures.breakdown_over(uow, ctx.desk.rules, *span, by if by == "product" else "region"))


def _old(verb: str) -> conversation.Action:
    """A reading the desk's command handles as it is, with the number and the rest of the message."""
    def run(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
        typed = _typed(ctx, turn, verb)
        cmd = typed or commands.Command(verb, conversation.number(ctx, uow, turn), turn.reading.reason)
        desk.DISPATCHER_VERBS.get(verb, desk.MANAGER_VERBS.get(verb, _help))(ctx, uow, cmd)
    return run


def _help(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    ctx.say(desk.DISPATCHER_HELP if ctx.actor.role in (Role.DISPATCHER, Role.ADMIN) else desk.MANAGER_HELP)


def _not_yours(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    """A dispatcher's job asked of a manager: whose it is and what a manager can ask instead."""
    ctx.say(wording.other_role(turn.reading.label("manager"), turn.intent, "manager"))


_FIGURES: dict[str, conversation.Action] = {
    "stats": _stats, "overdue": _overdue, "ranking": _ranking, "breakdown": _breakdown,
    "show": _show, "workload": _workload, "customer": _customer, "help": _old("help"),
    "statement": desk_statements.on_statement,
}
DISPATCHER_ACTIONS: dict[str, conversation.Action] = {
    **_FIGURES, "assign": _assign, "priority": _priority, "queue": _old("queue"), "proxy": _proxy,
    "callbacks": _old("callbacks"), "callback_done": _old("callback_done"),
    "parts": _old("parts"), "reserve": _old("reserve"), "incident_fixed": _old("incident_fixed"),
}
MANAGER_ACTIONS: dict[str, conversation.Action] = {
    **_FIGURES, **{v: _not_yours for v in ("assign", "priority", "queue", "proxy", "callbacks", "callback_done", "parts",
                                "reserve", "incident_fixed")},
}
