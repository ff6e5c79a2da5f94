"""The desk's commands: dispatchers file, assign and prioritise; managers ask for figures. Read by desk_talk."""
from __future__ import annotations

from datetime import date

from domain import callbacks, progress, texts
from domain.charts import chart_figures, chart_notice, last_days
from domain.model import Role, mask_phones
from domain.reports import today_text
from domain.commands import Assign, CloseCallback, SetPriority
from domain.errors import Refused
from domain.ticket import State, Ticket
from domain.visibility import visible_ticket
from handlers import commands, customer_card, desk_incidents, parts_chat, report
from handlers.base import Ctx
from storage.uow import SqlUnitOfWork

DISPATCHER_HELP = ("派单员指令：代客报修 · 派单 BX… 给 王师傅 · 改优先级 BX… 紧急 · 待派单 · "
                   "工单 BX… · 王师傅手上有几单 · 客户 手机号/工单号/序列号 · 配件 BX… · 预留 BX… 配件编号 数量 · 待回访 · "
                   "已回访 BX… 备注 · 故障解除 BX… · 今日统计 · 帮助")
MANAGER_HELP = "主管指令：今日统计 · 本周统计 · 上个月结算单（按区域 / Excel）· 工单 BX… · 王师傅手上有几单 · 客户 手机号/工单号/序列号 · 帮助"


def _proxy(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    found = report.read(uow, cmd.rest) if cmd.rest else None
    if found is None:
        draft = report.Draft(ctx.desk.rules.default_type, ctx.desk.rules.default_priority, for_desk=True)
        draft.asking = "product"
        report.save(ctx, draft)
        ctx.say("好的，开始代客报修。" + "请问是哪件产品出了问题？（例如：厨房水龙头、马桶、智能门锁）")
        return
    report.start(ctx, uow, found, for_desk=True)


def _assign(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    tech_ref = cmd.rest.removeprefix("给").strip()
    if not cmd.number or not tech_ref:
        raise Refused("请这样写：派单 BX20261123-0001 给 王建国（或师傅编号 T01）")
    ticket = progress.assign(uow, ctx.desk.rules, ctx.now, Assign(cmd.number, tech_ref, ctx.actor))
    uow.commit()
    tech = uow.people.technician(ticket.assignee_id or "")
    ctx.say(f"已将 {ticket.number} 派给 {tech.name if tech else ticket.assignee_id}，等待师傅接单。")


def _priority(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    rules = ctx.desk.rules
    wanted = cmd.rest.strip()
    code = next((p.code for p in rules.priorities if wanted in (p.code, p.name)), None)
    if not cmd.number or code is None:
        raise Refused("请这样写：改优先级 BX20261123-0001 紧急（可选：" +
                      "、".join(p.name for p in rules.priorities) + "）")
    ticket = progress.set_priority(uow, rules, ctx.now, SetPriority(cmd.number, code, ctx.actor))
    uow.commit()
    ctx.say(f"{ticket.number} 优先级已改为 {rules.priority_name(code)}，"
            f"解决时限 {texts.when(ticket.resolve_by, rules.tz)}。")


def _queue(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    """Tickets nobody has been sent to, then those offered to a technician who has not accepted
    yet: both wait on the desk, but only the first still need a dispatcher's choice."""
    waiting = uow.tickets.in_states([State.NEW, State.ASSIGNED])
    unsent = [t for t in waiting if t.state is State.NEW]
    offered = [t for t in waiting if t.state is State.ASSIGNED]
    parts = [f"待派单 {len(unsent)} 张：\n" + "\n".join(_queue_line(ctx, uow, t) for t in unsent) if unsent
             else "当前没有待派单的工单。"]
    if offered:
        parts.append(f"已派单、师傅尚未接单 {len(offered)} 张：\n" +
                     "\n".join(_queue_line(ctx, uow, t) for t in offered))
    ctx.say("\n".join(parts))


def _queue_line(ctx: Ctx, uow: SqlUnitOfWork, t: Ticket) -> str:
    line = f"{t.number} {texts.state(t)} {ctx.desk.rules.priority_name(t.priority)} {mask_phones(t.description)[:20]}"
    return line + (f" → {texts.who(uow.people.technician(t.assignee_id), t.assignee_id)}" if t.assignee_id else "")


def _show(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    if not cmd.number:
        raise Refused("请这样写：工单 BX20261123-0001")
    ticket = visible_ticket(uow, ctx.actor, cmd.number)
    product = uow.catalog.product(ticket.product_sku) if ticket.product_sku else None
    site = uow.places.site(ticket.site_id) if ticket.site_id else None
    rules = ctx.desk.rules
    lines = [texts.summary(ticket, rules, product, site),
             f"师傅：{texts.who(uow.people.technician(ticket.assignee_id), ticket.assignee_id) if ticket.assignee_id else '—'}",
             f"解决时限：{texts.when(ticket.resolve_by, rules.tz)}",
             _warranty(uow, ticket), texts.costs(ticket) if ticket.resolved_at or ticket.closed_at
             else texts.charge_rule(ticket, rules).replace("保修：", "收费规则：", 1)]
    linked = desk_incidents.incident_line(uow, ticket.number)
    if linked:
        lines.append(linked)
    if ticket.callback_state:
        lines.append(CALLBACK_LABELS[ticket.callback_state] + (f"：{ticket.callback_note}" if ticket.callback_note else ""))
    ctx.say("\n".join(lines))


def _callbacks(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    ctx.say(callbacks.pending_text(uow.tickets.callbacks("open"), ctx.desk.rules))


def _callback_done(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    if not cmd.number:
        raise Refused("请这样写：已回访 BX20261123-0001 已致电业主，同意再次上门")
    ticket = callbacks.close_callback(uow, ctx.desk.rules, ctx.now, CloseCallback(cmd.number, ctx.actor, cmd.rest))
    uow.commit()
    ctx.say(f"已记录 {ticket.number} 的回访：{ticket.callback_note}")


def _warranty(uow: SqlUnitOfWork, ticket: Ticket) -> str:
    asset = next((a for a in uow.people.assets(ticket.customer_id) if a.id == ticket.asset_id), None)
    until = f"（至 {asset.warranty_end}）" if asset and asset.warranty_end else ""
    serial = f"，序列号 {asset.serial}" if asset and asset.serial else ""
    return f"保修：{texts.WARRANTY.get(ticket.warranty, ticket.warranty)}{until}{serial}"


def _stats(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    """The figures in words now; the same day with the week before it as a chart, drawn by the worker."""
    ctx.say(today_text(uow, ctx.desk.rules, ctx.now))
    today = ctx.now.astimezone(ctx.desk.rules.tz).date()
    queue_chart(ctx, uow, today, today, "今日统计")


def queue_chart(ctx: Ctx, uow: SqlUnitOfWork, first: date, last: date, title: str) -> None:
    """The period as a picture, drawn by the worker off the request path; a single day is drawn
    with the days before it, so the chart has a trend to show."""
    if first == last:
        first, last = last_days(last, CHART_DAYS)
    figures = chart_figures(uow, ctx.desk.rules, ctx.now, first, last, title)
    stamp = ctx.inbound.msg_id or ctx.now.isoformat()
    uow.outbox.add(chart_notice(ctx.actor.role, ctx.actor.id, figures, f"chart:{ctx.actor.id}:{stamp}"[:160]), ctx.now)
    uow.commit()


def _customer(ctx: Ctx, uow: SqlUnitOfWork, cmd: commands.Command) -> None:
    ctx.say(customer_card.card(ctx, uow, customer_card.find_customer(uow, cmd.rest, cmd.number)))


CHART_DAYS = 7   # today's chart shows the week up to today: one day alone is two bars
CALLBACK_LABELS = {"open": "回访：待回访", "done": "回访：已回访"}

MANAGER_VERBS = {"stats": _stats, "show": _show, "customer": _customer}
DISPATCHER_VERBS = {"proxy": _proxy, "assign": _assign, "priority": _priority, "queue": _queue,
                    "show": _show, "stats": _stats, "customer": _customer,
                    "parts": parts_chat.show, "reserve": parts_chat.reserve,
                    "callbacks": _callbacks, "callback_done": _callback_done,
                    "incident_fixed": desk_incidents.resolve_incident}
