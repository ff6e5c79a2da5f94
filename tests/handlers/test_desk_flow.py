"""Dispatchers and managers through the console (assigning and priorities: test_desk_on_fake.py)."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat

DESK = "dispatcher:D01"


def proxy_report(chat: Chat) -> str:
    chat(DESK, "代客报修")
    chat(DESK, "卫生间马桶水箱一直漏水")
    chat(DESK, "滨江壹号 5栋1单元1202")
    chat(DESK, "13912345678")
    out = chat(DESK, "确认")
    assert "已代客创建工单" in out
    return chat.last_number()


def test_a_caller_on_the_phone_gets_a_ticket_and_the_notices(chat: Chat) -> None:
    number = proxy_report(chat)
    ticket = chat.ticket(number)
    assert ticket.state is State.ASSIGNED
    assert any(line.startswith(f"→ owner:13912345678 您的报修已受理，工单号 {number}") for line in chat.out)
    tech = "technician:" + ticket.assignee_id
    out = chat(tech, "接单")
    assert f"→ owner:13912345678 工单 {number}：" in out


def test_sending_a_technician_their_own_accepted_job_again_changes_nothing(chat: Chat) -> None:
    number = proxy_report(chat)
    tech_id = chat.ticket(number).assignee_id
    chat("technician:" + tech_id, "接单")
    with chat.desk.uow() as uow:
        name = uow.people.technician(tech_id).name
    out = chat(DESK, f"让{name}师傅去{number}")
    assert f"工单 {number} 已经是 {name} 的（已接单），无需再派。" in out
    assert "【新工单】" not in out   # no second card asking them to accept again
    ticket = chat.ticket(number)
    assert ticket.state is State.ACCEPTED and ticket.accepted_at is not None


def test_the_queue_tells_unsent_tickets_from_offers_not_yet_accepted(chat: Chat) -> None:
    assert "没有待派单" in chat(DESK, "待派单")
    number = proxy_report(chat)
    tech = "technician:" + chat.ticket(number).assignee_id
    out = chat(DESK, "待派单")
    assert "当前没有待派单的工单" in out and "已派单、师傅尚未接单 1 张" in out and number in out
    chat(tech, "接单")
    assert "没有待派单" in chat(DESK, "待派单") and "尚未接单" not in chat.out[-1]


def test_todays_figures_for_the_manager(chat: Chat, clock) -> None:  # type: ignore[no-untyped-def]
    number = proxy_report(chat)
    tech = "technician:" + chat.ticket(number).assignee_id
    clock.advance(minutes=30)
    chat(tech, "接单")
    chat(tech, "到达")
    clock.advance(hours=1)
    chat(tech, "完工 已修复")
    chat("owner:13912345678", "修好了")
    chat("owner:13912345678", "4")
    out = chat("manager:M01", "今日统计")
    assert "新建 1 · 完成 1 · 未完成 0 · 超时 0" in out
    assert "平均接单用时 30分钟" in out and "平均解决用时 1小时30分" in out and "平均评分 4.0" in out


def test_managers_cannot_dispatch(chat: Chat) -> None:
    number = proxy_report(chat)
    before = chat.ticket(number).assignee_id
    target = "T10" if before != "T10" else "T11"
    assert "「派单」是派单员用的" in chat("manager:M01", f"派单 {number} 给 {target}")
    assert chat.ticket(number).assignee_id == before


def test_a_claimed_role_must_match_the_staff_record(chat: Chat) -> None:
    assert "没有编号为 M01 的派单员" in chat("dispatcher:M01", "待派单")


def test_a_question_about_reports_does_not_start_one(chat: Chat) -> None:
    out = chat(DESK, "翠湖花园最近报修多吗")
    assert "请确认报修信息" not in out and "哪件产品" not in out and "已记下" not in out
    assert "今日统计" in chat(DESK, "今天报修的多不多")
    # no report form was left open to take the next message's phone as its own
    assert "已记下" not in chat(DESK, "查一下13911112222")


def test_a_report_passed_on_by_phone_is_described_as_the_owner_put_it(chat: Chat) -> None:
    out = chat(DESK, "业主来电报修 13922223333 滨江壹号2栋1单元1102 说热水器不出热水")
    assert "描述：热水器不出热水\n" in out


def test_the_desk_asks_what_a_technician_has_in_hand(chat: Chat) -> None:
    number = proxy_report(chat)
    tech_id = chat.ticket(number).assignee_id
    chat("technician:" + tech_id, "接单")
    with chat.desk.uow() as uow:
        tech = uow.people.technician(tech_id)
    out = chat(DESK, f"{tech.name}今天手上有几单")
    assert f"{tech.name}（{tech_id}，在岗）手上 1 张工单，上限 {tech.capacity} 张" in out
    assert f"\n{number} 已接单 卫生间马桶水箱一直漏水" in out
    assert chat.ticket(number).state is State.ACCEPTED   # asking sends nobody anywhere
    other = "T10" if tech_id != "T10" else "T11"
    assert "手上 0 张工单" in chat("manager:M01", f"{other} 忙不忙")
