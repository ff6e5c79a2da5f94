"""Technicians and console identities: console ids, staff ids, a late grab (the rest: test_technician_offers.py)."""
from __future__ import annotations

from dataclasses import replace

from tests.conftest import Chat

OWNER = "owner:13800138000"


def offered(chat: Chat, text: str = "厨房水龙头漏水了，翠湖花园3栋2单元501", owner: str = OWNER) -> tuple[str, str]:
    chat(owner, text)
    chat(owner, "确认")
    number = chat.last_number()
    return number, "technician:" + (chat.ticket(number).assignee_id or "")


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
