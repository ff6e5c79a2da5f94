"""你好, 在吗, 谢谢: each role gets a natural answer, never 「抱歉，我没看懂」."""
from __future__ import annotations

import pytest

from tests.conftest import Chat

OWNER = "owner:13800138000"


@pytest.mark.parametrize("text", ["你好", "您好", "在吗", "hello", "你好！"])
def test_an_owner_who_says_hello_is_greeted_and_told_how_to_report(chat: Chat, text: str) -> None:
    out = chat(OWNER, text)
    assert "没看懂" not in out and "直接描述问题和地址即可" in out and "帮助" in out
    assert chat.last_number() == ""  # no ticket, no form started


@pytest.mark.parametrize("text", ["谢谢", "好的谢谢", "好的，谢谢！"])
def test_an_owner_who_says_thanks_hears_you_are_welcome(chat: Chat, text: str) -> None:
    out = chat(OWNER, text)
    assert "不客气" in out and "没看懂" not in out


def test_a_technician_and_a_dispatcher_are_greeted_with_their_own_next_step(chat: Chat) -> None:
    assert "我的工单" in chat("technician:T01", "你好") and "师傅指令" not in chat("technician:T01", "在吗")
    assert "不客气" in chat("technician:T01", "谢谢")
    assert "待派单" in chat("dispatcher:D01", "您好")
    assert "今日统计" in chat("manager:M01", "在吗")


def test_a_hello_that_also_describes_a_fault_is_still_a_report(chat: Chat) -> None:
    out = chat(OWNER, "你们好，我家智能门锁坏了打不开，滨江壹号2栋1单元1203")
    assert "请确认报修信息" in out
