"""The SLA clock with an injected clock: warnings, breaches, escalation, pauses, each fired once."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from domain.ticket import State
from tests.conftest import CN, Chat, FakeClock

OWNER = "owner:13800138000"


def report(chat: Chat) -> tuple[str, str]:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    return number, "technician:" + chat.ticket(number).assignee_id


def at(clock: FakeClock, hour: int, minute: int = 0) -> None:
    clock.now = datetime(2026, 11, 23, hour, minute, tzinfo=CN)


def test_deadlines_are_on_business_hours_and_the_next_timer_is_on_the_row(chat: Chat) -> None:
    number, _ = report(chat)  # Monday 10:00; repair/normal: accept 2h, arrive 16h, resolve 40h (business)
    t = chat.ticket(number)
    assert t.accept_by.astimezone(CN) == datetime(2026, 11, 23, 12, 0, tzinfo=CN)
    assert t.arrive_by.astimezone(CN) == datetime(2026, 11, 25, 11, 0, tzinfo=CN)
    assert t.next_due_at.astimezone(CN) == datetime(2026, 11, 23, 11, 36, tzinfo=CN)  # 80% of 2h


def test_warning_then_breach_then_escalation_each_sent_once(chat: Chat, clock: FakeClock) -> None:
    chat.desk.rules = replace(chat.desk.rules, offer_timeout=timedelta(hours=8))  # one offer all day
    number, tech = report(chat)
    at(clock, 11, 36)
    out = chat.tick()
    assert f"→ {tech} 【时效提醒】工单 {number} 需在" in out and "完成接单" in out
    assert "【时效提醒】" not in chat.tick()
    at(clock, 12, 0)
    out = chat.tick()
    assert f"→ dispatcher:D01 【超时】工单 {number} 已超过接单时限" in out
    assert f"→ dispatcher:D02 【超时】工单 {number}" in out
    assert chat.ticket(number).breaches == ["accept"]
    at(clock, 15, 30)  # 2 business hours after the breach: 12:00-13:30 is the lunch break
    out = chat.tick()
    assert f"→ manager:M01 【超时升级】工单 {number}" in out
    at(clock, 12, 0)  # the clock jumps back: nothing fires twice
    assert "【" not in chat.tick()
    at(clock, 16, 0)
    assert "【超时" not in chat.tick()


def test_a_deadline_already_past_fires_at_once_in_one_tick(chat: Chat, clock: FakeClock) -> None:
    number, tech = report(chat)
    clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=CN)  # a week later, nobody touched it
    out = chat.tick()
    assert "已超过接单时限" in out and "已超过上门时限" in out and "【超时升级】" in out
    assert set(chat.ticket(number).breaches) >= {"accept", "arrive"}


def test_meeting_a_deadline_stops_its_timers(chat: Chat, clock: FakeClock) -> None:
    number, tech = report(chat)
    chat(tech, "接单")
    at(clock, 12, 30)
    assert "接单时限" not in chat.tick()
    assert chat.ticket(number).next_due_at.astimezone(CN) > datetime(2026, 11, 24, tzinfo=CN)


def test_the_clock_pauses_while_waiting_and_resumes_after(chat: Chat, clock: FakeClock) -> None:
    number, tech = report(chat)
    chat(tech, "接单")
    chat(tech, "到达")
    before = chat.ticket(number).resolve_by
    chat(tech, "挂起 等配件")
    assert chat.ticket(number).next_due_at is None
    clock.now = datetime(2026, 12, 10, 9, 0, tzinfo=CN)  # long past every deadline, but paused
    assert "【超时" not in chat.tick()
    clock.now = datetime(2026, 12, 10, 10, 0, tzinfo=CN)
    chat(tech, "恢复")
    ticket = chat.ticket(number)
    assert ticket.state is State.IN_PROGRESS and ticket.resolve_by > before
    assert ticket.next_due_at is not None and ticket.breaches == []


def test_urgent_work_runs_around_the_clock(chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 22, 0, tzinfo=CN)  # 10 pm
    chat(OWNER, "紧急！卫生间水管爆管了 翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    t = chat.ticket(chat.last_number())
    assert t.priority == "urgent"
    assert t.accept_by.astimezone(CN) == datetime(2026, 11, 23, 22, 30, tzinfo=CN)


def test_reassigning_a_waiting_ticket_keeps_the_pause_and_gives_a_fresh_acceptance_clock(
        chat: Chat, clock: FakeClock) -> None:
    chat.desk.rules = replace(chat.desk.rules, offer_timeout=timedelta(hours=8))
    number, tech = report(chat)
    chat(tech, "接单")
    chat(tech, "到达")
    chat(tech, "挂起 等配件")
    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=CN)  # four weeks later, still paused
    other = "T05" if tech != "technician:T05" else "T06"
    assert "已将" in chat("dispatcher:D01", f"派单 {number} 给 {other}")
    ticket = chat.ticket(number)
    assert ticket.state is State.ASSIGNED and ticket.accepted_at is None
    assert ticket.resolve_by.astimezone(CN) > clock.now  # the four weeks were credited
    assert ticket.accept_by.astimezone(CN) == datetime(2026, 12, 21, 12, 0, tzinfo=CN)  # 2h from now
    out = chat.tick()
    assert "【超时" not in out and "【时效提醒】" not in out
    clock.now = datetime(2026, 12, 21, 11, 36, tzinfo=CN)
    assert f"→ technician:{other} 【时效提醒】工单 {number}" in chat.tick()


def test_a_priority_change_keeps_the_pause_credit(chat: Chat, clock: FakeClock) -> None:
    number, tech = report(chat)
    chat(tech, "接单")
    chat(tech, "到达")
    chat(tech, "挂起 等配件")
    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=CN)
    chat(tech, "恢复")
    assert "优先级已改为 高" in chat("dispatcher:D01", f"改优先级 {number} 高")
    ticket = chat.ticket(number)
    assert ticket.resolve_by.astimezone(CN) > clock.now
    assert "【超时" not in chat.tick()


def test_after_a_long_pause_the_warning_waits_for_the_working_time(chat: Chat, clock: FakeClock) -> None:
    number, tech = report(chat)  # Monday 10:00, resolve 40 business hours
    chat(tech, "接单")
    chat(tech, "到达")
    chat.tick()
    clock.advance(hours=1)
    chat(tech, "挂起 等配件")
    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=CN)
    chat(tech, "恢复")
    assert "【时效提醒】" not in chat.tick()  # 1h used of 40: the warning is far off
    ticket = chat.ticket(number)
    assert ticket.next_due_at.astimezone(CN) > datetime(2026, 12, 24, tzinfo=CN)


def test_in_grab_mode_the_acceptance_warning_goes_to_the_dispatchers(chat: Chat, clock: FakeClock) -> None:
    chat.desk.rules = replace(chat.desk.rules, dispatch_mode="grab", grab_timeout=timedelta(hours=8))
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    assert chat.ticket(number).assignee_id is None  # posted for grabs, nobody owns it
    at(clock, 11, 36)
    out = chat.tick()
    assert f"→ dispatcher:D01 【时效提醒】工单 {number} 需在" in out and "目前还没有师傅负责" in out
    assert f"→ dispatcher:D02 【时效提醒】工单 {number}" in out


PLUMBERS = ("T01", "T04", "T06", "T07", "T10", "T12")


def test_coming_on_duty_picks_up_a_ticket_left_waiting_for_a_technician(chat: Chat) -> None:
    for tech in PLUMBERS:
        chat(f"technician:{tech}", "下班")
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    number = chat.last_number()
    assert chat.ticket(number).state is State.NEW and "→ dispatcher:D01" in out
    out = chat("technician:T04", "上班")
    assert "1 张等待师傅的工单已重新派单" in out and f"【新工单】{number}" in out
    ticket = chat.ticket(number)
    assert (ticket.state, ticket.assignee_id) == (State.ASSIGNED, "T04")


def test_coming_on_duty_without_the_skill_leaves_the_ticket_waiting(chat: Chat) -> None:
    for tech in PLUMBERS:
        chat(f"technician:{tech}", "下班")
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    chat("technician:T02", "下班")
    assert "重新派单" not in chat("technician:T02", "上班")   # carpentry and flooring only
    assert chat.ticket(number).state is State.NEW


def test_a_warning_found_after_its_deadline_is_not_sent_and_the_breach_names_the_technician(
        chat: Chat, clock: FakeClock) -> None:
    chat.desk.rules = replace(chat.desk.rules, offer_timeout=timedelta(hours=8))  # one offer all day
    number, tech = report(chat)
    at(clock, 12, 5)  # the worker was down from before the 11:36 warning until after the 12:00 deadline
    out = chat.tick()
    assert "【时效提醒】" not in out and "请抓紧" not in out
    assert f"→ dispatcher:D01 【超时】工单 {number} 已超过接单时限" in out
    with chat.desk.uow() as uow:
        name = uow.people.technician(tech.removeprefix("technician:")).name
    assert f"师傅 {name}（{tech.removeprefix('technician:')}）" in out
