"""The desk: overdue counts every missed deadline, assigning without spaces, offers that wait for the morning."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.ticket import State
from tests.conftest import CN, Chat, FakeClock

OWNER = "owner:13800138000"


def opened(chat: Chat, text: str = "马桶漏水 翠湖花园3栋2单元501") -> str:
    chat(OWNER, text)
    chat(OWNER, "确认")
    return chat.last_number()


def test_a_ticket_past_its_accept_deadline_counts_as_overdue_before_its_resolve_deadline(
        chat: Chat, clock: FakeClock) -> None:
    number = opened(chat)
    ticket = chat.ticket(number)
    assert "超时 0" in chat("manager:M01", "今日统计")
    clock.now = ticket.accept_by + timedelta(minutes=1)
    assert clock.now < ticket.resolve_by
    assert "超时 1" in chat("manager:M01", "今日统计")


def test_a_ticket_accepted_in_time_but_not_yet_visited_past_arrive_by_is_overdue(
        chat: Chat, clock: FakeClock) -> None:
    number = opened(chat)
    chat("technician:" + chat.ticket(number).assignee_id, "接单")
    ticket = chat.ticket(number)
    clock.now = ticket.arrive_by + timedelta(minutes=1)
    assert clock.now < ticket.resolve_by and ticket.state is State.ACCEPTED
    assert "超时 1" in chat("manager:M01", "今日统计")


def test_assigning_without_spaces_is_understood(chat: Chat) -> None:
    number = opened(chat)
    out = chat("dispatcher:D01", f"派单{number}给李强")
    assert f"已将 {number} 派给 李强" in out


def test_an_offer_made_at_night_for_business_hours_work_waits_for_the_morning(
        chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 23, 0, tzinfo=CN)
    number = opened(chat)
    first = chat.ticket(number).assignee_id
    assert any("11月24日(周二) 09:15 前接单" in line for line in chat.out)
    for _ in range(12):  # the night passes, 16 minutes at a time
        clock.advance(minutes=16)
        chat.tick()
    ticket = chat.ticket(number)
    assert ticket.state is State.ASSIGNED and ticket.assignee_id == first
