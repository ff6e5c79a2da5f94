"""Technicians through the console: buttons, several offers, expiry, duty (the rest: test_technician_offers.py)."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat, FakeClock

OWNER = "owner:13800138000"


def offered(chat: Chat, text: str = "厨房水龙头漏水了，翠湖花园3栋2单元501", owner: str = OWNER) -> tuple[str, str]:
    chat(owner, text)
    chat(owner, "确认")
    number = chat.last_number()
    return number, "technician:" + chat.ticket(number).assignee_id


def test_the_button_on_the_job_card_accepts_and_the_owner_is_told(chat: Chat) -> None:
    number, tech = offered(chat)
    out = chat(tech, "1")  # the first button of the card: 接单
    assert f"已接单 {number}" in out
    assert f"→ {OWNER} 工单 {number}：" in out and "已接单" in out and "****" in out
    assert chat.ticket(number).state is State.ACCEPTED


def test_with_two_offers_pending_the_number_is_needed(chat: Chat, desk) -> None:  # type: ignore[no-untyped-def]
    first, tech = offered(chat)
    with desk.uow() as uow:  # only this technician is on duty now
        for t in uow.people.technicians():
            t.on_duty = "technician:" + t.id == tech
            uow.people.save_technician(t)
        uow.commit()
    second, _ = offered(chat, "厨房龙头滴水 翠湖花园6栋1单元101", "owner:13977778888")
    assert chat.ticket(second).assignee_id == tech.split(":")[1]
    out = chat(tech, "接单")
    assert "多张工单" in out and first in out and second in out
    assert f"已接单 {second}" in chat(tech, f"接单 {second}")


def test_an_offer_not_answered_in_time_moves_on(chat: Chat, clock: FakeClock) -> None:
    number, tech = offered(chat)
    clock.advance(minutes=14)
    assert chat.tick() == ""
    clock.advance(minutes=2)
    out = chat.tick()
    assert f"→ {tech} 工单 {number} 超时未接单" in out
    ticket = chat.ticket(number)
    assert "technician:" + ticket.assignee_id != tech and tech.split(":")[1] in ticket.declined


def test_when_everyone_has_declined_the_dispatchers_are_told(chat: Chat, desk) -> None:  # type: ignore[no-untyped-def]
    number, tech = offered(chat)
    out = ""
    for _ in range(20):
        ticket = chat.ticket(number)
        if ticket.state is State.NEW:
            break
        out = chat("technician:" + ticket.assignee_id, "拒单")
    assert chat.ticket(number).state is State.NEW
    assert "→ dispatcher:D01 【待人工派单】" in out


def test_off_duty_technicians_get_no_new_offers(chat: Chat) -> None:
    for t in ("T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08", "T09", "T10", "T11", "T12"):
        assert "已下班" in chat(f"technician:{t}", "下班")
    out = chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    assert chat.ticket(chat.last_number()).state is State.NEW
    assert "→ dispatcher:D01 【待人工派单】" in out
    assert "已上班" in chat("technician:T01", "上班")


def test_a_technician_cannot_act_on_jobs_that_are_not_theirs(chat: Chat) -> None:
    number, tech = offered(chat)
    other = "technician:T05" if tech != "technician:T05" else "technician:T06"
    assert f"没有找到工单 {number}" in chat(other, f"到达 {number}")  # not even that it exists
    assert "「今日统计」是派单员和主管用的" in chat(tech, "今日统计")
    assert "师傅指令" in chat(tech, "")


def test_an_unknown_technician_id_is_refused(chat: Chat) -> None:
    assert "没有编号为 T99 的师傅" in chat("technician:T99", "接单")
