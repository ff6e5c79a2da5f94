"""Owners outside the report form, in their own words: progress, chasing, moving or calling off the
visit, cancelling (asked once), not fixed after all, warranty and opening hours, complaints."""
from __future__ import annotations

from dataclasses import replace

from domain import progress, rescheduling, texts
from domain.commands import AskToReschedule, Cancel, Confirm
from domain.errors import Refused
from domain.ticket import State, Ticket
from handlers import conversation, intents, report, wording
from handlers.base import Ctx
from handlers.conversation import Turn
from handlers.picking import in_states, pick
from handlers.text import normalize
from handlers.when import Window
from storage.uow import SqlUnitOfWork

Legacy = conversation.Action


def mine(ctx: Ctx, uow: SqlUnitOfWork, open_only: bool = True) -> list[Ticket]:
    if not ctx.actor.id:
        return []
    return uow.tickets.for_customer(int(ctx.actor.id), open_only=open_only)


def recently_closed(ctx: Ctx, uow: SqlUnitOfWork) -> list[Ticket]:
    """Closed within the survey period: a fault told again now is the repair that did not hold."""
    return _closed_lately(ctx, mine(ctx, uow, open_only=False))


def _closed_lately(ctx: Ctx, tickets: list[Ticket]) -> list[Ticket]:
    since = ctx.now - ctx.desk.rules.survey.auto_close_after
    return [t for t in tickets if t.state is State.CLOSED and t.closed_at is not None and t.closed_at >= since]


def states(ctx: Ctx, uow: SqlUnitOfWork) -> list[str]:
    """The states of the open tickets, then of those recently closed: both from one read of the owner's tickets."""
    tickets = mine(ctx, uow, open_only=False)
    return [t.state.value for t in tickets if t.is_open] + [t.state.value for t in _closed_lately(ctx, tickets)]


def _number(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn, candidates: list[Ticket], none_text: str) -> str:
    if isinstance(turn.slot("number"), str):
        return str(turn.slot("number"))  # named: the use case says so when it is not theirs
    named = conversation.number(ctx, uow, turn)
    owned = {t.number for t in mine(ctx, uow, open_only=False)}
    return pick(candidates, named if named in owned else None, none_text)


def cancel(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    """Asked once, with buttons; the second word cancels."""
    number = _number(ctx, uow, turn, mine(ctx, uow), "您目前没有可以取消的工单。")
    if number not in {t.number for t in mine(ctx, uow, open_only=False)}:
        raise Refused(texts.unknown_ticket(number))  # never ask about someone else's ticket
    if not conversation.confirmed(ctx, turn, wording.cancel_question(number), wording.CONFIRM_CANCEL,
                                  {"number": number}):
        return
    ticket = progress.cancel(uow, ctx.desk.rules, ctx.now, Cancel(number, ctx.actor, turn.reading.reason[:200]))
    uow.commit()
    ctx.say(f"工单 {ticket.number} 已取消。")


def reschedule(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    movable = [t for t in mine(ctx, uow) if t.state in rescheduling.MOVABLE]
    if not movable and not isinstance(turn.slot("number"), str):
        found = report.read(uow, turn.text)
        if report.looks_like_report(found):  # a fault told with when someone is home: a new report
            report.start(ctx, uow, found)
            return
    number = _number(ctx, uow, turn, movable, "您目前没有待上门的工单。")
    window = turn.reading.slots.get("time")
    start, end = (window.start, window.end) if isinstance(window, Window) else (None, None)
    drop = "取消预约" in normalize(turn.text) and start is None
    ticket, told = rescheduling.ask_to_reschedule(uow, ctx.desk.rules, ctx.now,
                                                  AskToReschedule(number, ctx.actor, start, end, drop))
    uow.commit()
    if drop:
        ctx.say(wording.appointment_cancelled(ticket.number, told))
    else:
        when = texts.window(start, end, ctx.desk.rules.tz) if start else ""
        ctx.say(wording.reschedule_asked(ticket.number, when, told))


def not_fixed(legacy: Legacy) -> conversation.Action:
    """A repair waiting for the owner's word, or closed within the rating window ("又漏了"), is reopened,
    never reported anew; otherwise a fault told again with its product is a new report (linked to the
    same product, so it counts as a repeat repair)."""
    def run(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
        if in_states(mine(ctx, uow), State.RESOLVED):
            legacy(ctx, uow, turn)
            return
        found = report.read(uow, turn.text)
        named = found.products or found.community or found.building or found.room or found.unit
        if (closed := recently_closed(ctx, uow)) and not named:
            _reopen(ctx, uow, turn, closed)  # a product or place named again is a report of its own
            return
        if report.looks_like_report(found):
            report.start(ctx, uow, found)
        else:
            ctx.say("您目前没有待确认的工单。如需报修，请直接描述问题。")
    return run


def _reopen(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn, closed: list[Ticket]) -> None:
    """A closed repair that did not hold: the same ticket back to its technician. Read with doubt (no
    button pressed, no sure reading), it is asked once first."""
    number = _number(ctx, uow, turn, closed, "")
    if number not in {t.number for t in closed}:
        raise Refused(texts.unknown_ticket(number))
    if not intents.surely(turn.reading) and not conversation.confirmed(
            ctx, turn, wording.reopen_question(number), wording.CONFIRM_REOPEN, {"number": number}):
        return
    ticket = progress.confirm(uow, ctx.desk.rules, ctx.now, Confirm(number, ctx.actor, False))
    uow.commit()
    ctx.say(wording.reopened(ticket.number))


def complaint(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    """To the desk as a complaint: its form asks no visit time."""
    found = report.read(uow, turn.text)
    ctx.say(wording.complaint_taken())
    report.start(ctx, uow, replace(found, ticket_type="complaint"))


def warranty(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    rules = ctx.desk.rules
    today = ctx.now.astimezone(rules.tz).date()
    owned = uow.people.assets(int(ctx.actor.id)) if ctx.actor.id else []
    lines = []
    for asset in owned[:5]:
        product = uow.catalog.product(asset.sku)
        state = texts.WARRANTY.get(asset.warranty_on(today), "保修未知")
        until = f"，保修至 {asset.warranty_end}" if asset.warranty_end else ""
        lines.append(f"· {product.name if product else asset.sku}：{state}{until}")
    repair = rules.ticket_types.get("repair")
    paid = f"过保收人工 {texts.money(repair.labour_cents)}，配件按价另计" if repair and repair.labour_cents \
        else "过保配件按价收费"
    head = "您名下的产品：\n" + "\n".join(lines) if lines else _catalog_terms(uow, turn.text)
    ctx.say(f"{head}\n保内维修免费，{paid}。报修时我会按购买记录核实保修。")


def _catalog_terms(uow: SqlUnitOfWork, text: str) -> str:
    found = report.read(uow, text)
    named = [uow.catalog.product(p.sku) for p in found.products[:1]]
    product = named[0] if named and named[0] else None
    if product is not None:
        return f"没有查到您的购买记录。{product.name} 保修 {product.warranty_months} 个月（从安装或购买之日起，以凭证为准）。"
    months = sorted({p.warranty_months for p in uow.catalog.products()})
    span = f"{months[0]}-{months[-1]}" if len(months) > 1 else (str(months[0]) if months else "12")
    return f"没有查到您的购买记录。我们的产品保修 {span} 个月（以购买凭证为准）。"


def hours(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    rules = ctx.desk.rules
    ctx.say(wording.hours(rules.business_hours, rules.weekend_visits, rules.holiday_visits))


def new_report(ctx: Ctx, uow: SqlUnitOfWork, turn: Turn) -> None:
    report.start(ctx, uow, report.read(uow, turn.text))

