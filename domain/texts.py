"""What the bot says about tickets, in Simplified Chinese. One place for the wording."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from domain.model import Product, Site, Technician, mask_phone, mask_phones
from domain.rules import Rules
from domain.ticket import LABELS, Ticket

if TYPE_CHECKING:
    from domain.ports import UnitOfWork

WEEKDAYS = "一二三四五六日"


def when(at: datetime | None, tz: tzinfo) -> str:
    if at is None:
        return "—"
    local = at.astimezone(tz)
    return f"{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def window(start: datetime | None, end: datetime | None, tz: tzinfo) -> str:
    if start is None:
        return "—"
    tail = f"-{end.astimezone(tz):%H:%M}" if end else ""
    return when(start, tz) + tail


def summary(ticket: Ticket, rules: Rules, product: Product | None, site: Site | None) -> str:
    lines = [f"{ticket.number} {rules.type_name(ticket.type)} · {rules.priority_name(ticket.priority)}"
             f" · {LABELS[ticket.state]}"]
    if product:
        lines.append(f"产品：{product.name}")
    if site:
        lines.append(f"地址：{site.label()}")
    lines.append(f"描述：{mask_phones(ticket.description)}")
    return "\n".join(lines)


def offer(ticket: Ticket, rules: Rules, product: Product | None, site: Site | None) -> str:
    return (f"【新工单】{summary(ticket, rules, product, site)}\n"
            f"请在 {when(ticket.offer_expires_at, rules.tz)} 前接单。")


def grab_offer(ticket: Ticket, rules: Rules, product: Product | None, site: Site | None) -> str:
    """A posting to several technicians: the first to answer gets it."""
    head, _, rest = summary(ticket, rules, product, site).partition("\n")
    head = head.rsplit(" · ", 1)[0]   # its state ("已派单") means nothing to someone deciding to grab it
    return (f"【抢单】{head} · 先接先得\n{rest}\n"
            f"请在 {when(ticket.offer_expires_at, rules.tz)} 前回复「抢单 {ticket.number}」。")


def money(cents: int) -> str:
    return f"¥{cents / 100:.2f}".replace(".00", "")


WARRANTY = {"in": "保内", "expired": "已过保", "unknown": "保修未知"}


def charge_rule(ticket: Ticket, rules: Rules) -> str:
    """What the owner will pay, said before anyone is sent: the warranty decides."""
    kind = rules.ticket_types.get(ticket.type)
    labour = kind.labour_cents if kind else 0
    paid = f"人工 {money(labour)}，配件按价另计" if labour else "配件按价收费"
    if ticket.warranty == "in":
        return "保修：保内，本次免费。"
    if ticket.warranty == "expired":
        return f"保修：已过保，{paid}。"
    return f"保修：以购买记录为准，师傅上门核实；过保{paid}。"


def costs(ticket: Ticket) -> str:
    return (f"费用：人工 {money(ticket.labour_cents)} + 配件 {money(ticket.parts_cents)}"
            f"，客户支付 {money(ticket.charge_cents)}")



# Types handled by a call from the desk, not by a visit: they are never promised a technician at the door.
NO_VISIT = frozenset({"return", "complaint"})


def promise(ticket: Ticket, rules: Rules) -> str:
    """What happens next, as the owner is told: the window they asked for, a visit by the deadline, or a call
    (as soon as possible where no time limit is set for the ticket's type)."""
    by = f"将在 {when(ticket.arrive_by, rules.tz)} 前" if ticket.arrive_by else "会尽快"
    if ticket.type == "complaint":
        return f"客服主管{by}与您联系处理"
    if ticket.type in NO_VISIT:
        return f"客服{by}与您联系，核实后办理{rules.type_name(ticket.type)}"
    if ticket.appointment_start:
        return f"我们会按您希望的时间 {window(ticket.appointment_start, ticket.appointment_end, rules.tz)} 安排师傅上门"
    return f"我们{by}安排师傅上门"


def opened_for_owner(ticket: Ticket, rules: Rules) -> str:
    return f"您的报修已受理，工单号 {ticket.number}。{promise(ticket, rules)}。\n{charge_rule(ticket, rules)}"


def accepted_for_owner(ticket: Ticket, tech: Technician | None) -> str:
    who = f"{tech.name}（{mask_phone(tech.phone)}）" if tech else "师傅"
    return f"工单 {ticket.number}：{who} 已接单，稍后会与您预约上门时间。"


def nobody_left(ticket: Ticket) -> str:
    return f"【待人工派单】{ticket.number} 暂无可派的在岗师傅，请人工派单：派单 {ticket.number} 给 <师傅>"


def who(tech: Technician | None, tech_id: str | None = None) -> str:
    """A technician as people read it: 王建国（T01）; the bare id when the roster no longer has them."""
    if tech is not None:
        return f"{tech.name}（{tech.id}）"
    return tech_id or "未指派"


def tech_label(uow: "UnitOfWork", tech_id: str | None) -> str:
    if not tech_id:
        return "尚未指派师傅"
    return "师傅 " + who(uow.people.technician(tech_id), tech_id)


def nobody_on_duty(ticket: Ticket, rules: Rules) -> str:
    """Only an urgent job is called urgent; any other job on a 24x7 policy says that is what it is."""
    head = "【紧急·无人在岗】" if ticket.priority == rules.urgent_priority else "【24小时时效·无人在岗】"
    return (f"{head}{ticket.number} {rules.priority_name(ticket.priority)}工单（24小时计时）暂无在岗师傅可派，"
            f"须在 {when(ticket.arrive_by, rules.tz)} 前上门。请立即联系师傅上班或人工派单：派单 {ticket.number} 给 <师傅>。"
            f"有师傅上班后系统会自动重新派单。")


def skill_unknown(ticket: Ticket) -> str:
    return (f"【待人工派单】{ticket.number} 未能从描述判断需要哪类师傅，请人工派单：派单 {ticket.number} 给 <师傅>"
            f"\n描述：{mask_phones(ticket.description)[:60]}")


def for_the_desk(ticket: Ticket, rules: Rules) -> str:
    """A return or complaint: the desk calls the owner; no technician is offered it."""
    return (f"【待客服处理】{ticket.number} {rules.type_name(ticket.type)}，请在 {when(ticket.arrive_by, rules.tz)}"
            f" 前致电业主处理\n描述：{mask_phones(ticket.description)[:60]}")


def offer_expired(ticket: Ticket) -> str:
    return f"工单 {ticket.number} 超时未接单，已转派其他师傅。"


def not_your_offer(ticket: Ticket, holder: Technician | None) -> str:
    if ticket.state.value in ("accepted", "in_progress", "waiting", "resolved", "closed"):
        who = f" {holder.name} " if holder else "其他师傅"
        return f"手慢了一步，工单 {ticket.number} 已被{who}接单，谢谢！"
    return f"工单 {ticket.number} 当前没有派给您。"


def taken(ticket: Ticket, holder: Technician | None) -> str:
    return f"工单 {ticket.number} 已被 {holder.name if holder else '其他师傅'} 抢单。"


def unknown_ticket(number: str) -> str:
    return f"没有找到工单 {number[:40]}，请核对工单号。"


def state(ticket: Ticket) -> str:
    return LABELS[ticket.state]


def job_line(ticket: Ticket, tz: tzinfo) -> str:
    """One job in a technician's list: number, state, what it is, and the visit booked."""
    booked = ticket.appointment_start
    return (f"{ticket.number} {state(ticket)} {mask_phones(ticket.description)[:20]}"
            + (f" 预约{window(booked, ticket.appointment_end, tz)}" if booked else ""))


ACTION_WORDS = {"arrive": "签到", "hold": "挂起", "resume": "恢复", "resolve": "完工", "confirm": "确认",
                "reopen": "反馈未修好", "cancel": "取消", "assign": "派单", "accept": "接单"}


def cannot(ticket: Ticket, action: object) -> str:
    word = ACTION_WORDS.get(str(action), str(action))
    return f"工单 {ticket.number} 当前状态为「{state(ticket)}」，不能{word}。"
