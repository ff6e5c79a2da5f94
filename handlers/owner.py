"""What owners and customers can say: report, progress, urge, cancel, confirm, rate, photos."""
from __future__ import annotations

from datetime import timedelta

from domain import progress, texts
from domain.commands import AttachPhoto, Cancel, Confirm, NoteLocation, Rate, Urge
from domain.documents import confirmation_attachment
from domain.errors import Refused
from domain.model import Role, mask_phone, mask_phones
from domain.notices import Notice
from domain.ticket import State, Ticket
from domain.visibility import visible_ticket
from handlers import binding, commands, conversation, intents, owner_talk, report, wording
from handlers.base import Ctx
from handlers.extract import is_affirmative
from handlers.picking import in_states, pick
from storage.uow import SqlUnitOfWork

HELP = ("您好，我是报修助手。直接描述问题即可报修，例如：\n"
        "「厨房水龙头漏水了，翠湖花园3栋2单元501」\n"
        "其他指令：进度 · 催单 · 取消 · 修好了 / 没修好 · 评分 1-5 · 确认单 · 发送照片 · 绑定 · 帮助")

MISREAD = "抱歉，我没看懂。"
DRAFT_KEPT = "（您的报修草稿还在，继续补充即可。）"


def on_message(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    text = ctx.inbound.text
    cmd = commands.parse(text, ctx.desk.rules.number_prefix)
    verifying = binding.pending(ctx)
    if verifying is not None:
        binding.proceed(ctx, uow, verifying, text)
        return
    draft = report.load(ctx)
    if draft is not None:
        if _beside_the_draft(ctx, uow, draft, cmd, text):
            ctx.say(DRAFT_KEPT)
        else:
            report.proceed(ctx, uow, draft, text)
        return
    made = report.just_made(ctx)
    if made and conversation.awaiting_answer(ctx):
        made = None   # "是的" answers the question just asked (取消吗？), not the summary again
    if made and cmd is None and report.is_cancel(text):
        cmd = commands.Command("cancel", made, text)   # the ticket just made, never a new report
    elif made and cmd is None and not ctx.inbound.media and report.more_about_just_made(ctx, uow, made, text):
        if _hurries(ctx, uow, text):   # "能不能早点来 漏得厉害": kept on the ticket, and the ticket hurried
            _urge(ctx, uow, commands.Command("urge", made, text))
        return
    if ctx.inbound.media:
        _photo(ctx, uow)
        return
    if ctx.inbound.place is not None:
        _located(ctx, uow)
        return
    if commands.rating(text) is not None and _maybe_rating(ctx, uow, text):
        return
    conversation.converse(ctx, uow, conversation.reader(ctx, "owner", owner_talk.states(ctx, uow)), ACTIONS,
                          "owner", _unclear)


def _unclear(ctx: Ctx, uow: SqlUnitOfWork, turn: conversation.Turn) -> list[str]:
    """Nothing else fits: a fault told is a new report; otherwise what the owner's tickets make likely."""
    found = report.read(uow, turn.text)
    if report.looks_like_report(found) and not _follows_up(ctx, uow, found):
        report.start(ctx, uow, found)
        return []
    if report.timed_out(ctx):
        ctx.say(report.TIMED_OUT)
        return []
    if in_states(_mine(ctx, uow), State.RESOLVED):
        return ["fixed", "not_fixed"]
    if owner_talk.recently_closed(ctx, uow):
        return ["not_fixed", "status"]
    if _mine(ctx, uow):
        return ["status", "urge"]
    ctx.say(MISREAD + HELP)
    return []


def _follows_up(ctx: Ctx, uow: SqlUnitOfWork, found: report.Extracted) -> bool:
    """"还是在漏" with no product or place, from someone with a ticket, is about that ticket: asked back,
    never opened as an empty draft."""
    if not report.follows_up(found) or not _mine(ctx, uow, open_only=False):
        return False
    ctx.say(report.FOLLOW_UP, ("没修好", "进度"))
    return True


def _beside_the_draft(ctx: Ctx, uow: SqlUnitOfWork, draft: report.Draft, cmd: commands.Command | None,
                      text: str) -> bool:
    """A half-filled report must not swallow what is plainly meant for a ticket that already exists:
    a ticket number, 进度/催单/修好了/没修好/帮助, or a rating while a ticket waits for one. Runs it."""
    if is_affirmative(text):  # 好了 / 好的 answer the draft's own question
        return False
    named = commands.number_pattern(ctx.desk.rules.number_prefix).search(text)
    # "BX20261130-0006 怎么样了": that ticket's progress, unless it is part of the story being asked for
    # (a complaint names the ticket it is about).
    if cmd is None and named and draft.asking != "description":
        cmd = commands.Command("status", named.group(0).upper(), "")
    if cmd is not None and cmd.verb in VERBS and (cmd.number or _aside(cmd)):
        try:
            _run(ctx, uow, cmd)
        except Refused as polite:  # the refusal is the answer; the draft note still follows it
            uow.rollback()
            ctx.say(str(polite))
        return True
    # "1" may pick one of the purchases offered; a bare room number is 3-4 digits, never a rating
    if draft.asking == "choice" or commands.rating(text) is None or not _awaiting_rating(ctx, uow):
        return False
    return _maybe_rating(ctx, uow, text)


def _run(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    if cmd.number and cmd.verb not in STAFF_ONLY:
        visible_ticket(uow, ctx.actor, cmd.number)  # someone else's ticket reads as unknown
    VERBS[cmd.verb](ctx, uow, cmd)


def _aside(cmd: commands.Command) -> bool:
    # "还是坏的，一直滴水" may be the description being asked for; bare 没修好 / 修好了 are not.
    return cmd.verb in ("help", "status", "urge") or (cmd.verb in ("fixed", "not_fixed") and not cmd.rest)


def _awaiting_rating(ctx: Ctx, uow: SqlUnitOfWork) -> bool:
    done = in_states(_mine(ctx, uow, open_only=False), State.CLOSED, State.RESOLVED)
    return any(t.rating is None for t in done)


def _mine(ctx: Ctx, uow: SqlUnitOfWork, open_only: bool = True) -> list[Ticket]:
    if not ctx.actor.id:
        return []
    return uow.tickets.for_customer(int(ctx.actor.id), open_only=open_only)


def _help(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    ctx.say(HELP)


def _status(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    tickets = _mine(ctx, uow, open_only=False)  # a closed or cancelled ticket can still be looked up
    if cmd.number:
        tickets = [t for t in tickets if t.number == cmd.number]
        if not tickets:
            raise Refused(texts.unknown_ticket(cmd.number))
    if not tickets:
        ctx.say("您目前没有进行中的工单。直接描述问题即可报修。")
        return
    ctx.say("\n\n".join(_progress_line(ctx, uow, t) for t in tickets[:5]))


def _progress_line(ctx: Ctx, uow: SqlUnitOfWork, t: Ticket) -> str:
    tz = ctx.desk.rules.tz
    lines = [f"{t.number}（{ctx.desk.rules.type_name(t.type)}）：{texts.state(t)}", f"描述：{mask_phones(t.description)}"]
    tech = uow.people.technician(t.assignee_id) if t.assignee_id and t.state is not State.ASSIGNED else None
    if tech:
        lines.append(f"师傅：{tech.name}（{mask_phone(tech.phone)}）")
    if t.appointment_start:
        lines.append(f"预约：{texts.window(t.appointment_start, t.appointment_end, tz)}")
    if t.state is State.WAITING and t.hold_reason:
        lines.append(f"挂起原因：{mask_phones(t.hold_reason)}")
    if t.is_open and t.arrive_by and not t.arrived_at and not t.appointment_start:
        # one promise only: a booked or requested window replaces the deadline
        word = "承诺联系" if t.type in texts.NO_VISIT else "承诺上门"
        lines.append(f"{word}：{texts.when(t.arrive_by, tz)} 前")
    return "\n".join(lines)


def _urge(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_mine(ctx, uow), cmd.number, "您目前没有进行中的工单。")
    ticket = progress.urge(uow, ctx.desk.rules, ctx.now, Urge(number, ctx.actor))
    uow.commit()
    ctx.say(f"已为您催促工单 {ticket.number}，我们会尽快处理。")


def _cancel(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    number = pick(_mine(ctx, uow), cmd.number, "您目前没有可以取消的工单。")
    ticket = progress.cancel(uow, ctx.desk.rules, ctx.now, Cancel(number, ctx.actor, cmd.rest))
    uow.commit()
    ctx.say(f"工单 {ticket.number} 已取消。")


def _confirm(fixed: bool):  # type: ignore[no-untyped-def]
    def run(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
        waiting = in_states(_mine(ctx, uow), State.RESOLVED)
        number = pick(waiting, cmd.number, "您目前没有待确认的工单。")
        ticket = progress.confirm(uow, ctx.desk.rules, ctx.now, Confirm(number, ctx.actor, fixed))
        uow.commit()
        if not fixed:
            ctx.say(f"抱歉给您添麻烦了！工单 {ticket.number} 已重新打开，师傅会尽快再次上门。")
            return
        later = _duration(ctx.desk.rules.survey.delay)
        ctx.say(f"感谢确认！工单 {ticket.number} 已完成。现在就可以回复 1-5 分为本次服务评分（可附评价），"
                f"否则{later}后我们会再来请您评分。")
    return run


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes >= 60 * 24 and minutes % (60 * 24) == 0:
        return f" {minutes // (60 * 24)} 天"
    if minutes >= 60 and minutes % 60 == 0:
        return f" {minutes // 60} 小时"
    return f" {minutes} 分钟" if minutes else "稍"


def _maybe_rating(ctx: Ctx, uow: SqlUnitOfWork, text: str) -> bool:
    parsed = commands.rating(text)
    if parsed is None:
        return False
    done = [t for t in _mine(ctx, uow, open_only=False) if t.state in (State.CLOSED, State.RESOLVED)]
    candidates = [t for t in done if t.rating is None]
    if not candidates:
        if done:  # a second answer (e.g. to a late survey question) gets a clear word, not "没看懂"
            ctx.say(f"工单 {done[0].number} 已经评价过了（{done[0].rating} 星），谢谢！")
        elif not parsed[1]:  # a plain "5" with nothing to rate
            ctx.say("您目前没有待评价的工单，工单完成后就可以评分了。")
        return bool(done) or not parsed[1]
    stars, comment = parsed
    progress.rate(uow, ctx.desk.rules, ctx.now, Rate(candidates[0].number, ctx.actor, stars, comment))
    uow.commit()
    ctx.say(f"感谢您的评价（{stars} 星）！" + ("我们会尽快回访改进。" if stars <= 2 else "欢迎再次使用。"))
    return True


def _hurries(ctx: Ctx, uow: SqlUnitOfWork, text: str) -> bool:
    reading = conversation.reader(ctx, "owner", owner_talk.states(ctx, uow))(text)
    return reading.intent == "urge" and intents.clear(reading)


def _photo(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    made = report.just_made(ctx)
    tickets = _mine(ctx, uow)
    if not tickets:
        report.start_with_photo(ctx, uow)   # a photo before the words: it waits in the draft
        return
    number = made if made in {t.number for t in tickets} else tickets[0].number
    ticket = progress.attach_photo(uow, ctx.desk.rules, ctx.now,
                                   AttachPhoto(number, ctx.actor, ctx.inbound.media or ""))
    uow.commit()
    ctx.say(f"照片已添加到工单 {ticket.number}，师傅上门前会查看。")


def _located(ctx: Ctx, uow: SqlUnitOfWork) -> None:
    """Outside a report, a shared location belongs to the open ticket (the site, with coordinates)."""
    assert ctx.inbound.place is not None
    tickets = _mine(ctx, uow)
    if not tickets:
        ctx.say(f"收到位置：{ctx.inbound.place.label or '（无名称）'}。请描述一下需要报修的问题，我来帮您报修。")
        return
    ticket = progress.note_location(uow, ctx.desk.rules, ctx.now,
                                     NoteLocation(tickets[0].number, ctx.actor, ctx.inbound.place.describe()))
    uow.commit()
    ctx.say(f"位置已记录到工单 {ticket.number}，师傅上门时会参考。")


def _proxy_refused(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    raise Refused(wording.other_role(commands.word(ctx.inbound.text), cmd.verb, "owner"))


def _confirmation(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    """确认单: the 服务确认单 of a finished ticket, rendered by the outbox worker and sent here as a PDF."""
    mine = _mine(ctx, uow, open_only=False)
    finished = sorted(in_states(mine, State.RESOLVED, State.CLOSED),
                      key=lambda t: t.resolved_at or t.created_at, reverse=True)
    if cmd.number and not any(t.number == cmd.number for t in mine):
        raise Refused(texts.unknown_ticket(cmd.number))
    if cmd.number and not any(t.number == cmd.number for t in finished):
        raise Refused(f"工单 {cmd.number} 还没有完工，完工后才能出具服务确认单。")
    if not finished:
        raise Refused("您还没有已完工的工单，完工后回复「确认单」即可收到服务确认单。")
    number = cmd.number or finished[0].number
    stamp = ctx.inbound.msg_id or ctx.now.isoformat()
    uow.outbox.add(Notice(Role.OWNER, ctx.actor.id, "confirmation", "", f"{number}:confirmation:{stamp}"[:160],
                          number, attachment=confirmation_attachment(number)), ctx.now)
    uow.commit()
    ctx.say(f"好的，工单 {number} 的服务确认单（PDF 文件）马上发给您，可转发或打印。")


def _bind(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    if ctx.inbound.channel == "console" or ctx.inbound.phone:
        ctx.say("您的手机号已由平台确认，无需绑定。")
        return
    binding.start(ctx, uow)


STAFF_ONLY = ("accept", "reject", "book", "depart", "arrive", "hold", "resume", "finish", "my_jobs", "proxy",
              "assign", "priority", "queue", "stats", "on_duty", "off_duty", "parts", "reserve", "customer")

VERBS = {
    "bind": _bind,
    "help": _help, "status": _status, "urge": _urge, "cancel": _cancel,
    "fixed": _confirm(True), "not_fixed": _confirm(False), "confirmation": _confirmation,
    **{v: _proxy_refused for v in STAFF_ONLY},
}


def _as(verb: str) -> conversation.Action:
    """The reading as the command the handlers above take: the ticket meant and the rest of the words."""
    def run(ctx: Ctx, uow: SqlUnitOfWork, turn: conversation.Turn) -> None:
        number = conversation.number(ctx, uow, turn)
        owned = {t.number for t in _mine(ctx, uow, open_only=False)}
        if number not in owned and not isinstance(turn.slot("number"), str):
            number = None  # "这单" pointing at someone else's ticket means nothing here
        VERBS[verb](ctx, uow, commands.Command(verb, number, turn.reading.reason))
    return run


def _rate(ctx: Ctx, uow: SqlUnitOfWork, turn: conversation.Turn) -> None:
    stars = turn.reading.slots.get("stars")
    if not _maybe_rating(ctx, uow, f"{stars} {turn.reading.reason}" if stars else turn.text):
        ctx.say("请回复 1-5 的数字为服务评分，5 分最满意。")


ACTIONS: dict[str, conversation.Action] = {
    "status": _as("status"), "urge": _as("urge"), "fixed": _as("fixed"),
    "not_fixed": owner_talk.not_fixed(_as("not_fixed")), "cancel": owner_talk.cancel,
    "reschedule": owner_talk.reschedule, "rate": _rate, "warranty": owner_talk.warranty,
    "hours": owner_talk.hours, "complaint": owner_talk.complaint, "report": owner_talk.new_report,
    "help": _as("help"), "bind": _as("bind"), "confirmation": _as("confirmation"),
    "staff": conversation.other_roles_command("owner"),
}
