"""After the work: the owner confirms and rates; one reminder, then the ticket closes itself."""
from __future__ import annotations

from datetime import datetime

from domain.notices import Notice
from domain.ports import UnitOfWork
from domain.rules import Rules
from domain.actors import SYSTEM
from domain.saving import keep
from domain.ticket import Action, State, Ticket

CONFIRM_BUTTONS = ("修好了", "没修好")
RATING_BUTTONS = ("5", "4", "3", "2", "1")
SURVEY_TEXT = "请为本次服务打分（1-5 分，5 分最满意），也可以附上评价："


RATING_OVER = "rating_over"   # a stage never due: the rating period ended without a rating


def schedule(ticket: Ticket, stage: str, at: datetime | None) -> None:
    ticket.followup_stage, ticket.followup_at = (stage, at) if at else ("", None)


def after_resolve(ticket: Ticket, rules: Rules, now: datetime) -> None:
    schedule(ticket, "confirm_remind", now + rules.survey.remind_after)


def survey_key(ticket: Ticket) -> str:
    return f"{ticket.number}:survey"


def ask_rating(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    """The survey goes out after the configured delay, with one reminder later."""
    due = now + rules.survey.delay
    uow.outbox.add(Notice("owner", str(ticket.customer_id), "survey",
                          f"感谢确认！工单 {ticket.number} 已完成。{SURVEY_TEXT}", survey_key(ticket),
                          ticket.number, RATING_BUTTONS, due), now)
    schedule(ticket, "rate_remind", due + rules.survey.remind_after)


def run_due(uow: UnitOfWork, rules: Rules, now: datetime, limit: int) -> tuple[int, int]:
    """Up to `limit` due follow-ups: (taken, steps run), the same number here."""
    tickets = uow.tickets.followups_due(now, limit)
    for ticket in tickets:
        STEPS.get(ticket.followup_stage, _drop)(uow, rules, now, ticket)
        keep(uow, rules, ticket)
    return len(tickets), len(tickets)


def _owner(uow: UnitOfWork, now: datetime, ticket: Ticket, kind: str, text: str,
           buttons: tuple[str, ...] = ()) -> None:
    uow.outbox.add(Notice("owner", str(ticket.customer_id), kind, text, f"{ticket.number}:{kind}",
                          ticket.number, buttons), now)


def _confirm_remind(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    if ticket.state is not State.RESOLVED:
        return _drop(uow, rules, now, ticket)
    _owner(uow, now, ticket, "confirm_reminder",
           f"提醒：工单 {ticket.number} 师傅已完工，请确认是否修好：", CONFIRM_BUTTONS)
    schedule(ticket, "auto_close", (ticket.resolved_at or now) + rules.survey.auto_close_after)


def _auto_close(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    if ticket.state is not State.RESOLVED:
        return _drop(uow, rules, now, ticket)
    ticket.apply(Action.AUTO_CLOSE, SYSTEM.label, now, "业主未确认，自动完成；无评价")
    ticket.closed_at = now
    _owner(uow, now, ticket, "auto_closed", f"工单 {ticket.number} 已自动完成。如仍有问题，直接回复即可再次报修。")
    _rating_over(ticket)


def _rate_remind(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    if ticket.rating is not None:
        return _drop(uow, rules, now, ticket)
    _owner(uow, now, ticket, "survey_reminder", f"提醒：工单 {ticket.number} 还没有评价。{SURVEY_TEXT}",
           RATING_BUTTONS)
    schedule(ticket, "rate_close", now + rules.survey.auto_close_after)


def _rate_close(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    if ticket.rating is None:
        ticket.record("no_rating", SYSTEM.label, now, "评价期已过，记为无评价")
        _rating_over(ticket)
    else:
        schedule(ticket, "", None)


def _rating_over(ticket: Ticket) -> None:
    ticket.followup_stage, ticket.followup_at = RATING_OVER, None


def rating_closed(ticket: Ticket) -> bool:
    """The ticket was recorded as unrated (auto-closed, or the survey went unanswered): too late to rate."""
    return ticket.followup_stage == RATING_OVER


def _drop(uow: UnitOfWork, rules: Rules, now: datetime, ticket: Ticket) -> None:
    schedule(ticket, "", None)


STEPS = {"confirm_remind": _confirm_remind, "auto_close": _auto_close, "rate_remind": _rate_remind,
         "rate_close": _rate_close}
