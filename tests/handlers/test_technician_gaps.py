"""Technicians and console identities: past appointments, grab without a number, rejecting one's own job."""
from __future__ import annotations

from dataclasses import replace

from domain.ticket import State
from tests.conftest import Chat

OWNER = "owner:13800138000"


def offered(chat: Chat, text: str = "厨房水龙头漏水了，翠湖花园3栋2单元501", owner: str = OWNER) -> tuple[str, str]:
    chat(owner, text)
    chat(owner, "确认")
    number = chat.last_number()
    return number, "technician:" + (chat.ticket(number).assignee_id or "")


def test_booking_a_time_already_over_is_refused_and_nothing_is_booked(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    out = chat(tech, "预约 昨天下午3点")
    assert "已经过去了" in out and OWNER not in out
    assert chat.ticket(number).appointment_start is None
    out = chat(tech, "预约 2026-12-05 10:00")
    assert f"→ {OWNER} 工单 {number}：师傅已预约 12月5日(周六) 10:00-11:00 上门" in out


def test_rejecting_a_job_already_accepted_says_so(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    out = chat(tech, f"拒单 {number}")
    assert "您已接单" in out and "其他师傅" not in out
    assert chat.ticket(number).state is State.ACCEPTED


def test_in_grab_mode_a_plain_grab_takes_the_only_posting(chat: Chat) -> None:
    chat.desk.rules = replace(chat.desk.rules, dispatch_mode="grab")
    number, _ = offered(chat)
    posted_to = chat.ticket(number).offered
    assert len(posted_to) > 1
    out = chat(f"technician:{posted_to[0]}", "抢单")
    assert f"已接单 {number}" in out
    assert chat.ticket(number).assignee_id == posted_to[0]


def test_in_grab_mode_several_postings_are_listed_for_a_number(chat: Chat) -> None:
    chat.desk.rules = replace(chat.desk.rules, dispatch_mode="grab")
    first, _ = offered(chat)
    second, _ = offered(chat, "马桶漏水 翠湖花园3栋2单元502", "owner:13900000009")
    both = set(chat.ticket(first).offered) & set(chat.ticket(second).offered)
    tech = sorted(both)[0]
    out = chat(f"technician:{tech}", "接单")
    assert "多张工单" in out and first in out and second in out
    assert chat.ticket(first).state is State.ASSIGNED


def test_a_console_owner_id_that_is_not_a_mobile_is_refused(chat: Chat) -> None:
    out = chat("owner:abc", "马桶漏水 翠湖花园3栋2单元501")
    assert "11 位手机号" in out and "请确认" not in out
    chat("owner:+8613800138000", "马桶漏水 翠湖花园3栋2单元501")
    chat("owner:+8613800138000", "确认")
    with chat.desk.uow() as uow:
        assert uow.people.customer_by_phone("13800138000") is not None
        assert uow.people.customer_by_phone("abc") is None


def test_an_unknown_staff_id_is_named_in_chinese(chat: Chat) -> None:
    assert "没有编号为 X9 的派单员" in chat("dispatcher:X9", "待派单")
    assert "没有编号为 X9 的主管" in chat("manager:X9", "今日统计")


def test_in_grab_mode_a_late_grab_says_who_took_the_job_and_the_posting_reads_naturally(chat: Chat) -> None:
    chat.desk.rules = replace(chat.desk.rules, dispatch_mode="grab")
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    number = chat.last_number()
    first, second = chat.ticket(number).offered[:2]
    posting = chat.to(f"technician:{second}", out)
    assert posting.startswith(f"technician:{second} 【抢单】{number} 维修 · 普通 · 先接先得")
    assert "【新工单】" not in posting and "已派单" not in posting and f"抢单 {number}" in posting
    chat(f"technician:{first}", "抢单")
    with chat.desk.uow() as uow:
        name = uow.people.technician(first).name
    out = chat(f"technician:{second}", "抢单")
    assert f"已被 {name} 抢单" in out
