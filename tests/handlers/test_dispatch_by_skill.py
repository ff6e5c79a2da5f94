"""Who is offered a job the owner named no product for: the words decide the trade, else the desk does."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat

OWNER = "owner:13800138000"


def report(chat: Chat, text: str, *answers: str) -> tuple[str, str]:
    chat(OWNER, text)
    for answer in answers:
        chat(OWNER, answer)
    out = chat(OWNER, "确认")
    assert "报修成功" in out or "已受理" in out
    return chat.last_number(), out


def test_a_burst_pipe_without_a_product_is_offered_to_a_plumber_not_a_carpenter(chat: Chat) -> None:
    number, out = report(chat, "紧急！厨房水管爆了 翠湖花园1栋1单元101")
    ticket = chat.ticket(number)
    assert ticket.product_sku is None and ticket.state is State.ASSIGNED
    with chat.desk.uow() as uow:
        tech = uow.people.technician(ticket.assignee_id)
    assert "plumbing" in tech.skills and ticket.assignee_id != "T02"
    assert f"→ technician:{ticket.assignee_id} 【新工单】{number}" in out


def test_a_complaint_goes_to_the_dispatchers_and_no_technician_is_offered_it(chat: Chat) -> None:
    number, out = report(chat, "我要投诉师傅态度差")
    ticket = chat.ticket(number)
    assert "客服主管将在" in chat.to(OWNER, out)
    assert ticket.state is State.NEW and ticket.assignee_id is None and not ticket.offered
    assert "→ technician:" not in out
    assert f"【待客服处理】{number} 投诉" in chat.to("dispatcher:D01", out)
    chat("technician:T04", "上班")   # someone coming on duty is not offered it either
    assert chat.ticket(number).state is State.NEW
    assert "→ technician:" not in chat.tick()


def test_a_job_whose_trade_cannot_be_told_waits_for_a_dispatcher(chat: Chat) -> None:
    number, out = report(chat, "家里有点问题需要师傅来看看 翠湖花园1栋1单元101", "不知道")
    ticket = chat.ticket(number)
    assert ticket.state is State.NEW and ticket.assignee_id is None
    assert "→ technician:" not in out
    assert f"【待人工派单】{number} 未能从描述判断需要哪类师傅" in chat.to("dispatcher:D02", out)
    assert "已派单" in chat("dispatcher:D01", f"派单 {number} 给 T01")
