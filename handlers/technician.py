"""What technicians can say: accept or reject offers, book, arrive, hold, resume, finish, list jobs."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select

from domain import parts as spare_parts
from domain import handover, progress, roster, texts
from domain.actors import Actor
from domain.commands import (AcceptOffer, Arrive, AttachPhoto, BookVisit, Depart, Finish, HandBack, Hold,
                             NoteLocation, RejectOffer, Resume)
from domain.errors import Refused
from domain.offers import accept_offer, reject_offer
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.ticket import State, Ticket
from domain.visibility import visible_ticket
from handlers import commands, conversation, parts_chat, slots, wording
from handlers.base import Ctx
from handlers.conversation import Turn
from handlers.picking import pick
from handlers.when import is_past, parse_when
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWork

HELP = ("师傅指令：接单 / 拒单 [工单号] · 预约 明天下午3点 · 出发 · 到达 · 挂起 原因 · 恢复 · "
        "配件 · 预留 配件编号 数量 · 完工 处理说明 配件:阀芯x1 · 我的工单 · 上班 / 下班 · 帮助")

ACTIVE = (State.ACCEPTED, State.IN_PROGRESS, State.WAITING)
PARTS = re.compile(r"(?:配件|更换配件|用料)[:：]\s*(.+)$")


def on_message(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    if ctx.inbound.place is not None:
        _located(ctx, uow)
        return
    if parts_chat.answer_choice(ctx, uow, on_message):
        return
    if ctx.inbound.media and not ctx.inbound.text.strip():
        _photo(ctx, uow)
        return
    typed = commands.parse(ctx.inbound.text, ctx.desk.rules.number_prefix)
    if typed is not None and typed.verb not in VERBS:  # another role's command, written as such
        ctx.say(wording.other_role(commands.word(ctx.inbound.text), typed.verb, "technician"))
        return
    if typed is not None and typed.number:
        visible_ticket(uow, ctx.actor, typed.number)  # another technician's job reads as unknown
    if not ctx.inbound.text.strip():
        ctx.say(HELP)
        return
    states = [t.state.value for t in _jobs(ctx, uow, State.ASSIGNED, *ACTIVE)] + \
        (["assigned"] if _offers(ctx, uow) else [])
    conversation.converse(ctx, uow, conversation.reader(ctx, "technician", states), ACTIONS, "technician",
                          _suggest)


def _jobs(ctx: Ctx, uow: SqlUnitOfWork, *states: State) -> list[Ticket]:
    return uow.tickets.for_technician(ctx.actor.id, states)


def _offers(ctx: Ctx, uow: SqlUnitOfWork) -> list[Ticket]:
    """Offers made to this technician alone, and grab postings still open to them."""
    posted = [t for t in uow.tickets.in_states([State.ASSIGNED], limit=500)
              if t.assignee_id is None and ctx.actor.id in t.offered]
    return _jobs(ctx, uow, State.ASSIGNED) + posted


def _mine_already(ctx: Ctx, uow: SqlUnitOfWork, number: str) -> bool:
    current = uow.tickets.get(number)
    return bool(current and current.state not in (State.ASSIGNED, State.NEW) and current.assignee_id == ctx.actor.id)


def _nothing_to_accept(ctx: Ctx, uow: SqlUnitOfWork) -> str:
    """Why there is nothing to accept: the last posting this technician was sent went to someone else."""
    last = uow.session.scalars(select(OutboxRow.ticket_number).where(
        OutboxRow.role == "technician", OutboxRow.person_id == ctx.actor.id, OutboxRow.kind == "offer")
        .order_by(OutboxRow.id.desc()).limit(1)).first()
    ticket = uow.tickets.get(last) if last else None
    if ticket is not None and ticket.assignee_id and ticket.assignee_id != ctx.actor.id:
        return texts.taken(ticket, uow.people.technician(ticket.assignee_id)) + "您当前没有待接的工单。"
    return "您当前没有待接的工单。"


def _accept(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    offers = _offers(ctx, uow)
    number = pick(offers, cmd.number, "" if offers or cmd.number else _nothing_to_accept(ctx, uow))
    if _mine_already(ctx, uow, number):
        ctx.say(f"您已接过工单 {number}。")
        return
    ticket = accept_offer(uow, ctx.desk.rules, ctx.now, AcceptOffer(number, ctx.actor))
    uow.commit()
    ctx.say(f"已接单 {ticket.number}，请尽快与业主预约上门时间：预约 明天下午3点")


def _reject(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_offers(ctx, uow), cmd.number, "您当前没有待接的工单。")
    if _mine_already(ctx, uow, number):
        raise Refused(f"工单 {number} 您已接单，不能再拒单。如无法继续处理，请联系派单员改派。")
    ticket = reject_offer(uow, ctx.desk.rules, ctx.now, RejectOffer(number, ctx.actor, cmd.rest))
    uow.commit()
    ctx.say(f"已拒单 {ticket.number}，系统会转派其他师傅。")


def _book(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_jobs(ctx, uow, State.ACCEPTED, State.WAITING), cmd.number, "您当前没有需要预约的工单。")
    local = ctx.now.astimezone(ctx.desk.rules.tz)
    window = parse_when(cmd.rest, local)
    if window is None and is_past(cmd.rest, local):
        raise Refused(f"「{cmd.rest[:30]}」已经过去了，请预约现在以后的时间，例如：预约 明天下午3点")
    if window is None:
        raise Refused("没看懂预约时间，请这样写：预约 明天下午3点 或 预约 周六上午")
    ticket = progress.book_visit(uow, ctx.desk.rules, ctx.now, BookVisit(number, ctx.actor, window.start, window.end))
    uow.commit()
    ctx.say(f"已预约 {ticket.number}：{texts.window(window.start, window.end, ctx.desk.rules.tz)}，已通知业主。")


Command = TypeVar("Command")
Verb = Callable[[Ctx, SqlUnitOfWork, commands.Command], None]


def _simple(step: Callable[[UnitOfWork, Rules, datetime, Command], Ticket], command: Callable[[str, Actor], Command],
            none_text: str, done: str, *states: State) -> Verb:
    def run(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
        number = pick(_jobs(ctx, uow, *states), cmd.number, none_text)
        ticket = step(uow, ctx.desk.rules, ctx.now, command(number, ctx.actor))
        uow.commit()
        ctx.say(done.format(n=ticket.number))
    return run


def _hold(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_jobs(ctx, uow, State.ACCEPTED, State.IN_PROGRESS), cmd.number, "您当前没有可以挂起的工单。")
    if not cmd.rest:
        raise Refused("请写明挂起原因，例如：挂起 等配件")
    ticket = progress.hold(uow, ctx.desk.rules, ctx.now, Hold(number, ctx.actor, cmd.rest[:200]))
    uow.commit()
    ctx.say(f"工单 {ticket.number} 已挂起（{ticket.hold_reason}），时效暂停计时。恢复时回复：恢复")


def _finish(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_jobs(ctx, uow, State.IN_PROGRESS), cmd.number, "您当前没有处理中的工单（请先「到达」签到）。")
    match = PARTS.search(cmd.rest)
    parts = match.group(1).strip() if match else ""
    note = PARTS.sub("", cmd.rest).strip(" ，,。") or "已处理"
    try:
        ticket, unknown = progress.finish(uow, ctx.desk.rules, ctx.now,
                                          Finish(number, ctx.actor, note[:500], parts[:500]))
    except spare_parts.PartAmbiguous as which:
        parts_chat.ask_which(ctx, uow, which)
        return
    uow.commit()
    warning = f"\n未识别的配件：{'、'.join(unknown)}（已记入说明，未计库存和费用）" if unknown else ""
    ctx.say(f"工单 {ticket.number} 已完工，等待业主确认。辛苦了！{warning}")


def _my_jobs(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    jobs = _jobs(ctx, uow, State.ASSIGNED, *ACTIVE)
    if not jobs:
        ctx.say("您当前没有工单。")
        return
    ctx.say("您的工单：\n" + "\n".join(texts.job_line(t, ctx.desk.rules.tz) for t in jobs))


def _duty(on: bool) -> Verb:
    def run(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
        tech = uow.people.technician(ctx.actor.id)
        assert tech is not None
        tech.on_duty = on
        uow.people.save_technician(tech)
        offered = roster.redispatch_waiting(uow, ctx.desk.rules, ctx.now, tech) if on else 0
        uow.commit()
        ctx.say("已上班，开始接收派单。" if on else "已下班，不再接收新派单。在手工单仍需完成。")
        if offered:
            ctx.say(f"有 {offered} 张等待师傅的工单已重新派单。")
    return run


def _photo(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    jobs = _jobs(ctx, uow, State.IN_PROGRESS) or _jobs(ctx, uow, *ACTIVE)
    if not jobs:
        ctx.say("收到照片，但您当前没有处理中的工单。")
        return
    ticket = progress.attach_photo(uow, ctx.desk.rules, ctx.now,
                                    AttachPhoto(jobs[0].number, ctx.actor, ctx.inbound.media or ""))
    uow.commit()
    ctx.say(f"照片已添加到工单 {ticket.number}。")


def _located(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    """A shared location: the check-in of a job on its way, or a note on the job being worked on."""
    assert ctx.inbound.place is not None
    where = ctx.inbound.place.describe()
    arriving = _jobs(ctx, uow, State.ACCEPTED)
    if arriving:
        number = pick(arriving, None, "")
        ticket = progress.arrive(uow, ctx.desk.rules, ctx.now, Arrive(number, ctx.actor, f"签到位置：{where}"))
        uow.commit()
        ctx.say(f"已签到 {ticket.number}（{ctx.inbound.place.label or '已记录位置'}），开始处理。")
        return
    on_site = _jobs(ctx, uow, State.IN_PROGRESS, State.WAITING)
    if not on_site:
        ctx.say("收到位置，但您当前没有待上门的工单。")
        return
    ticket = progress.note_location(uow, ctx.desk.rules, ctx.now,
                                     NoteLocation(pick(on_site, None, ""), ctx.actor, where))
    uow.commit()
    ctx.say(f"位置已记录到工单 {ticket.number}。")


VERBS = {
    "help": lambda ctx, uow, cmd: ctx.say(HELP),
    "accept": _accept, "reject": _reject, "book": _book, "hold": _hold, "finish": _finish,
    "depart": _simple(progress.depart, Depart, "您当前没有待上门的工单。", "已通知业主您已出发（{n}）。", State.ACCEPTED),
    "arrive": _simple(progress.arrive, Arrive, "您当前没有待上门的工单。", "已签到 {n}，开始处理。", State.ACCEPTED),
    "resume": _simple(progress.resume, Resume, "您当前没有挂起的工单。", "工单 {n} 已恢复处理。", State.WAITING),
    "my_jobs": _my_jobs, "on_duty": _duty(True), "off_duty": _duty(False),
    "parts": parts_chat.show, "reserve": parts_chat.reserve,
}


def _suggest(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> list[str]:
    """Nothing understood: what this technician's jobs make likely."""
    states = {t.state for t in _jobs(ctx, uow, *ACTIVE)}
    if _offers(ctx, uow):
        return ["accept", "reject"]
    if State.IN_PROGRESS in states:
        return ["finish", "hold"]
    if State.ACCEPTED in states:
        return ["depart", "book"]
    return ["resume", "my_jobs"] if State.WAITING in states else ["my_jobs", "help"]


def _as(verb: str, rest: Callable[[Turn], str] = lambda turn: "") -> conversation.Action:
    """The reading as the command the handlers above take."""
    def run(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
        typed = commands.parse(turn.text, ctx.desk.rules.number_prefix)
        if typed is not None and typed.verb == verb and not turn.fill:
            VERBS[verb](ctx, uow, typed)  # the command as written ("预留 P-VALVE 2"): its own syntax
            return
        number = conversation.number(ctx, uow, turn)
        if verb in ("accept", "reject") and turn.slot("number") is None and \
                number not in {t.number for t in _offers(ctx, uow)}:
            number = None  # "这单" names an offer; an older ticket seen since is not what is meant
        VERBS[verb](ctx, uow, commands.Command(verb, number, rest(turn)))
    return run


def _finish_rest(turn: Turn) -> str:
    named = turn.reading.slots.get("parts") or []
    listed = "，".join(f"{name}x{qty}" for name, qty in named)  # type: ignore[attr-defined]
    note = re.sub(r"(?:配件|更换配件|用料)\s*[:：]?\s*\S*$", "", turn.reading.reason).strip(" ，,。")
    return note + (f" 配件:{listed}" if listed else "")


def _reserve_rest(turn: Turn) -> str:
    named = turn.reading.slots.get("parts") or []
    return " ".join(f"{name} {qty}" for name, qty in named[:1]) or turn.reading.reason  # type: ignore[index]


def _hand_back(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    number = pick(_jobs(ctx, uow, *ACTIVE), conversation.number(ctx, uow, turn), "您当前没有可以退回的工单。")
    ticket = handover.hand_back(uow, ctx.desk.rules, ctx.now, HandBack(number, ctx.actor, turn.reading.reason[:200]))
    uow.commit()
    ctx.say(wording.handed_back(ticket.number))


ACTIONS: dict[str, conversation.Action] = {
    "accept": _as("accept"), "reject": _as("reject", lambda t: t.reading.reason),
    "book": _as("book", lambda t: slots.time_text(t.text)),
    "depart": _as("depart"), "arrive": _as("arrive"),
    "hold": _as("hold", lambda t: t.reading.reason or t.text), "resume": _as("resume"),
    "finish": _as("finish", _finish_rest), "handback": _hand_back,
    "my_jobs": _as("my_jobs"), "on_duty": _as("on_duty"), "off_duty": _as("off_duty"),
    "parts": _as("parts"), "reserve": _as("reserve", _reserve_rest), "help": _as("help"),
}
