"""A round-the-clock (24x7) job when no technician who fits is on duty: managers are woken, and it is retried."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat

OWNER = "owner:13800138000"
PLUMBERS = ("T01", "T04", "T06", "T07", "T10", "T12")


def urgent_with_nobody_on_duty(chat: Chat) -> tuple[str, str]:
    for tech in PLUMBERS:
        chat(f"technician:{tech}", "下班")
    chat(OWNER, "紧急！厨房水龙头漏水了 翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    return chat.last_number(), out


def test_an_urgent_job_with_nobody_on_duty_tells_the_dispatchers_and_the_managers_at_once(chat: Chat) -> None:
    number, out = urgent_with_nobody_on_duty(chat)
    assert chat.ticket(number).state is State.NEW
    for who in ("dispatcher:D01", "dispatcher:D02", "manager:M01"):
        assert f"【紧急·无人在岗】{number}" in chat.to(who, out)


def test_an_urgent_job_left_waiting_is_offered_on_the_next_tick_once_someone_is_switched_on(chat: Chat) -> None:
    number, _ = urgent_with_nobody_on_duty(chat)
    assert "→ technician:" not in chat.tick()  # still nobody: nothing is offered, nothing repeated
    with chat.desk.uow() as uow:  # switched on by an administrator, not by the technician's own 上班
        tech = uow.people.technician("T01")
        tech.on_duty = True
        uow.people.save_technician(tech)
        uow.commit()
    out = chat.tick()
    assert chat.ticket(number).state is State.ASSIGNED
    assert f"→ technician:T01 【新工单】{number}" in out


def test_an_urgent_job_left_waiting_is_offered_to_the_plumber_who_comes_on_duty(chat: Chat) -> None:
    number, _ = urgent_with_nobody_on_duty(chat)
    out = chat("technician:T10", "上班")
    assert chat.ticket(number).assignee_id == "T10" and "已重新派单" in out


def test_a_normal_job_on_a_round_the_clock_policy_is_not_called_urgent(chat: Chat) -> None:
    rules = chat.desk.rules
    rules.sla[("repair", "*")] = rules.sla[("repair", "urgent")]   # every repair counted around the clock
    for tech in PLUMBERS:
        chat(f"technician:{tech}", "下班")
    chat(OWNER, "厨房水龙头漏水了 翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    number = chat.last_number()
    assert chat.ticket(number).priority == "normal"
    for who in ("dispatcher:D01", "manager:M01"):
        told = chat.to(who, out)
        assert f"【24小时时效·无人在岗】{number} 普通工单（24小时计时）暂无在岗师傅可派" in told
        assert "紧急" not in told
