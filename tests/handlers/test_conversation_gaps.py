"""What a competent dispatcher would do where commands used to get in the way: a repair that did not hold
after the ticket was closed, a cancel asked once right after the report, another role's command."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_flow import OWNER, open_ticket, resolved_ticket


def closed_ticket(chat: Chat) -> str:
    number = resolved_ticket(chat)
    chat(OWNER, "修好了")
    assert chat.ticket(number).state is State.CLOSED
    return number


def test_still_broken_after_the_ticket_closed_reopens_that_ticket(chat: Chat, clock: FakeClock) -> None:
    number = closed_ticket(chat)
    clock.advance(hours=20)
    out = chat(OWNER, "又漏了")
    ticket = chat.ticket(number)
    assert ticket.state is State.ACCEPTED and ticket.reopen_count == 1 and ticket.closed_at is None
    assert f"工单 {number} 已重新打开" in out and f"→ technician:{ticket.assignee_id} 工单 {number}" in out
    assert chat.last_number() == number and "请告诉我地址" not in out


def test_a_doubtful_still_broken_after_closing_is_asked_first_with_buttons(chat: Chat, clock: FakeClock) -> None:
    number = closed_ticket(chat)
    clock.advance(hours=2)
    out = chat(OWNER, "好像不太对劲")
    assert chat.ticket(number).state is State.CLOSED and "[1]" in out
    chat(OWNER, "1")
    assert chat.ticket(number).state is State.ACCEPTED and chat.last_number() == number


def test_still_broken_after_the_rating_window_is_a_new_report(chat: Chat, clock: FakeClock) -> None:
    number = closed_ticket(chat)
    clock.advance(days=10)
    chat(OWNER, "厨房水龙头又漏了")
    assert chat.ticket(number).state is State.CLOSED


def test_a_cancel_right_after_the_report_is_asked_once_and_an_informal_yes_cancels(chat: Chat) -> None:
    number = open_ticket(chat)
    assert f"确定要取消工单 {number} 吗" in chat(OWNER, "不用修了 撤了吧")
    out = chat(OWNER, "是的")
    assert chat.ticket(number).state is State.CANCELLED and f"工单 {number} 已取消" in out


def test_an_owner_typing_a_technicians_command_is_told_what_they_can_do(chat: Chat) -> None:
    open_ticket(chat)
    out = chat(OWNER, "接单")
    assert "师傅" in out and "您可以" in out and "抱歉，这个操作只有工作人员可以使用" not in out
    assert "「统计」是派单员和主管用的" in chat(OWNER, "统计 本月")


def test_a_technician_typing_a_desk_command_is_told_what_they_can_do(chat: Chat) -> None:
    number = open_ticket(chat)
    tech = "technician:" + chat.ticket(number).assignee_id
    out = chat(tech, "统计")
    assert "派单员" in out or "主管" in out
    assert "您可以" in out and "不能使用" not in out


def test_a_dispatcher_typing_an_owners_or_technicians_command_is_told_what_they_can_do(chat: Chat) -> None:
    out = chat("dispatcher:D01", "接单")
    assert "师傅" in out and "您可以" in out


def test_bind_and_the_confirmation_sheet_are_owner_intents_in_plain_words(chat: Chat) -> None:
    number = closed_ticket(chat)
    assert "无需绑定" in chat(OWNER, "我想绑定一下手机号")
    assert f"工单 {number} 的服务确认单" in chat(OWNER, "能把服务确认单发我一份吗")
