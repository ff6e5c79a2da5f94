"""What a finished ticket answers: no doubled words, and no rating once the rating period is over."""
from __future__ import annotations

from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_flow import OWNER
from tests.handlers.test_owner_flow import resolved_ticket as finished


def test_a_closed_ticket_says_it_is_finished_once_when_urged_or_reprioritised(chat: Chat) -> None:
    number = finished(chat)
    chat(OWNER, "修好了")
    chat(OWNER, "5")
    out = chat("dispatcher:D01", f"改优先级 {number} 紧急")
    assert f"工单 {number} 已完成，不能修改优先级" in out and "已已" not in out
    out = chat(OWNER, f"催单 {number}")
    assert "已已" not in out and ("无需催单" in out or "没有" in out)


def test_the_survey_promised_after_confirming_arrives_ten_minutes_later(chat: Chat, clock: FakeClock) -> None:
    number = finished(chat)
    assert "10 分钟后我们会再来请您评分" in chat(OWNER, "修好了")
    clock.advance(minutes=10)
    out = chat.tick()
    assert f"→ {OWNER} 感谢确认！工单 {number} 已完成。请为本次服务打分" in out


def test_a_rating_after_the_rating_period_is_refused_with_the_reason(chat: Chat, clock: FakeClock) -> None:
    number = finished(chat)
    chat(OWNER, "修好了")
    for _ in range(4):  # survey, reminder, then the rating period ends unanswered
        clock.advance(days=3)
        chat.tick()
    out = chat(OWNER, "3")
    assert "评价期已过" in out and "3 星" not in out
    assert chat.ticket(number).rating is None


def test_an_auto_closed_ticket_takes_no_rating_afterwards(chat: Chat, clock: FakeClock) -> None:
    number = finished(chat)
    for _ in range(4):  # the owner never confirms: reminder, then auto-close
        clock.advance(days=3)
        chat.tick()
    assert chat.ticket(number).state.value == "closed"
    out = chat(OWNER, "4")
    assert "评价期已过" in out and chat.ticket(number).rating is None
