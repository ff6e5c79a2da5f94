"""Technicians through the console: offers, the visit, holds, completion, their list and duty."""
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


def test_accepting_by_text_with_the_number(chat: Chat) -> None:
    number, tech = offered(chat)
    assert f"已接单 {number}" in chat(tech, f"接单 {number.lower()}")


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


def test_a_rejected_offer_goes_to_the_next_technician(chat: Chat) -> None:
    number, tech = offered(chat)
    out = chat(tech, "拒单 今天排满了")
    assert f"已拒单 {number}" in out
    ticket = chat.ticket(number)
    assert ticket.state is State.ASSIGNED and "technician:" + ticket.assignee_id != tech
    assert f"→ technician:{ticket.assignee_id} 【新工单】{number}" in out


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


def test_a_ticket_never_offered_to_a_technician_reads_as_unknown(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    other = "technician:T05" if tech != "technician:T05" else "technician:T06"
    assert f"没有找到工单 {number}" in chat(other, f"接单 {number}")  # a grab lost says 手慢了一步
    assert "technician:" + chat.ticket(number).assignee_id == tech


def test_booking_a_visit_in_everyday_chinese_tells_the_owner(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    out = chat(tech, "预约 明天下午3点")
    assert "11月24日(周二) 15:00-16:00" in out
    assert f"→ {OWNER} 工单 {number}：师傅已预约 11月24日(周二) 15:00-16:00 上门" in out
    out = chat(tech, "预约 周六上午")
    assert "11月28日(周六) 09:00-12:00" in out
    assert "没看懂预约时间" in chat(tech, "预约 改天吧")


def test_a_hold_pauses_the_clock_and_resume_pushes_the_deadline(chat: Chat, clock: FakeClock) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    chat(tech, "到达")
    before = chat.ticket(number).resolve_by
    out = chat(tech, "挂起 等配件")
    assert f"→ {OWNER} 工单 {number} 暂时挂起：等配件" in out
    assert chat.ticket(number).state is State.WAITING
    clock.advance(hours=2)  # 10:00 -> 12:00 Monday: 2 business hours
    chat(tech, "恢复")
    ticket = chat.ticket(number)
    assert ticket.state is State.IN_PROGRESS
    assert ticket.resolve_by > before


def test_finishing_records_the_note_and_parts_and_asks_the_owner(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    assert "请先「到达」签到" in chat(tech, "完工")
    chat(tech, "到达")
    out = chat(tech, "完工 更换阀芯 配件:阀芯x1")
    assert f"→ {OWNER} 工单 {number} 师傅已完工：更换阀芯" in out and "[1] 修好了" in out
    ticket = chat.ticket(number)
    assert (ticket.state, ticket.resolution_note, ticket.parts_used) == (State.RESOLVED, "更换阀芯", "阀芯x1")


def test_my_jobs_lists_what_the_technician_holds(chat: Chat) -> None:
    number, tech = offered(chat)
    assert number in chat(tech, "我的工单")
    assert "没有工单" in chat("technician:T12", "我的工单")


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
    assert "不能使用" in chat(tech, "今日统计")
    assert "师傅指令" in chat(tech, "")


def test_an_unknown_technician_id_is_refused(chat: Chat) -> None:
    assert "没有编号为 T99 的师傅" in chat("technician:T99", "接单")


def test_setting_off_tells_the_owner_the_technician_is_on_the_way(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    out = chat(tech, "出发")
    assert f"→ {OWNER} 工单 {number}：师傅已出发，正在赶来，请保持电话畅通。" in out
    assert chat.ticket(number).state is State.ACCEPTED
