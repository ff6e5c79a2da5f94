"""What the owner is promised when a ticket opens: the visit's deadline, or, where no time limit is
set for the ticket's type, as soon as possible; never an empty deadline."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.bootstrap import build_rules
from bot.settings import load_settings
from domain import texts
from domain.deadlines import set_deadlines
from domain.ticket import Ticket
from tests.conftest import EXAMPLE

RULES = build_rules(load_settings(str(EXAMPLE), env={}))
OPENED = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)   # a Thursday, 10:00 in Shanghai


def a_ticket(kind: str) -> Ticket:
    return Ticket(number="BX20261203-0001", type=kind, priority="normal", description="漏水", customer_id=1,
                  created_at=OPENED)


def test_a_repair_with_a_time_limit_is_promised_a_visit_by_its_deadline() -> None:
    ticket = a_ticket("repair")
    set_deadlines(ticket, RULES, OPENED)
    assert texts.promise(ticket, RULES) == f"我们将在 {texts.when(ticket.arrive_by, RULES.tz)} 前安排师傅上门"


def test_without_a_time_limit_the_owner_is_promised_a_visit_as_soon_as_possible() -> None:
    assert texts.promise(a_ticket("repair"), RULES) == "我们会尽快安排师傅上门"
    assert texts.promise(a_ticket("complaint"), RULES) == "客服主管会尽快与您联系处理"
