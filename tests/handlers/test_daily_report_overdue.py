"""The daily report lists an overdue ticket under the deadline it missed, with that deadline's time."""
from __future__ import annotations

from datetime import datetime

from domain import texts
from tests.conftest import CN, Chat, FakeClock

OWNER = "owner:13800138000"


def reported(chat: Chat) -> str:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    return chat.last_number()


def report_at(chat: Chat, clock: FakeClock, when: datetime) -> str:
    clock.now = when
    return chat.to("manager:M01", chat.tick())


def test_a_ticket_nobody_accepted_is_listed_under_the_acceptance_deadline(chat: Chat, clock: FakeClock) -> None:
    number = reported(chat)
    ticket = chat.ticket(number)
    tz = chat.desk.rules.tz
    out = report_at(chat, clock, datetime(2026, 11, 23, 18, 30, tzinfo=CN))
    assert "超时工单：\n接单超时：" in out
    assert f"{number} 已派单 接单时限 {texts.when(ticket.accept_by, tz)}" in out
    assert texts.when(ticket.resolve_by, tz) not in out   # the next deadline is not the one it missed
    assert "解决超时" not in out and "上门超时" not in out


def test_a_ticket_accepted_late_and_not_yet_visited_is_under_each_deadline_it_missed(
        chat: Chat, clock: FakeClock) -> None:
    number = reported(chat)
    clock.now = datetime(2026, 11, 23, 11, 59, tzinfo=CN)
    chat.tick()
    clock.now = datetime(2026, 11, 23, 12, 5, tzinfo=CN)    # after the 2 h to accept
    chat("technician:" + chat.ticket(number).assignee_id, f"接单 {number}")
    ticket = chat.ticket(number)
    tz = chat.desk.rules.tz
    out = report_at(chat, clock, datetime(2026, 11, 25, 18, 30, tzinfo=CN))   # past the 16 h to arrive too
    accept = out.index("接单超时：")
    arrive = out.index("上门超时：")
    assert accept < out.index(f"接单时限 {texts.when(ticket.accept_by, tz)}") < arrive
    assert arrive < out.index(f"{number} 已接单 上门时限 {texts.when(ticket.arrive_by, tz)}")


def test_the_daily_report_reminds_a_month_before_the_known_holidays_end(chat: Chat, clock: FakeClock) -> None:
    known = chat.desk.rules.calendar_known_until
    assert known is not None
    early = report_at(chat, clock, datetime(known.year, 11, 23, 18, 30, tzinfo=CN))
    assert "日报" in early and "【日历提醒】" not in early
    late = report_at(chat, clock, datetime(known.year, 12, 1, 18, 30, tzinfo=CN))
    assert "日报" in late and f"【日历提醒】节假日数据只到 {known:%Y-%m-%d}" in late
