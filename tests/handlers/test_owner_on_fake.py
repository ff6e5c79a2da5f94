"""Owners follow, urge, cancel, confirm and rate: the role handler on the recording unit of work (no SQL)."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import FakeDesk, Talk
from tests.handlers.test_technician_offers import offered

OWNER = "owner:13800138000"


def resolved(talk: Talk, desk: FakeDesk, note: str = "完工 已处理") -> str:
    number, tech = offered(desk)
    for line in ("接单", "到达", note):
        talk(tech, line)
    return number


def test_the_owner_can_ask_for_progress_and_urge(talk: Talk, fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    out = talk(OWNER, "进度")
    assert number in out and "已派单" in out
    out = talk(OWNER, "催单")
    assert f"已为您催促工单 {number}" in out
    assert talk.ticket(number).urge_count == 1


def test_cancel_tells_the_technician_and_ends_the_ticket(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    asked = talk(OWNER, "取消")
    assert "确定要取消" in asked and talk.ticket(number).state is not State.CANCELLED
    out = talk(OWNER, "确认取消")
    assert f"工单 {number} 已取消" in out
    assert f"→ {tech} 工单 {number} 已被业主取消" in out
    assert talk.ticket(number).state is State.CANCELLED


def test_a_low_rating_with_a_comment_asks_the_desk_to_follow_up(talk: Talk, fake_desk: FakeDesk) -> None:
    number = resolved(talk, fake_desk)
    talk(OWNER, "修好了")
    out = talk(OWNER, "2分 师傅迟到了一个小时")
    assert "→ dispatcher:D01 【差评回访】" in out
    ticket = talk.ticket(number)
    assert (ticket.state, ticket.rating, ticket.rating_comment) == (State.CLOSED, 2, "师傅迟到了一个小时")


def test_an_owner_cannot_touch_another_owners_ticket(talk: Talk, fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    out = talk("owner:13955556666", f"取消 {number}")
    assert "没有找到工单" in out
    assert talk.ticket(number).state is State.ASSIGNED


def test_unknown_ticket_numbers_get_a_clear_answer(talk: Talk, fake_desk: FakeDesk) -> None:
    offered(fake_desk)
    assert "没有找到工单 BX20991231-9999" in talk(OWNER, "催单 BX20991231-9999")


def test_staff_commands_are_refused_politely(talk: Talk, fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    assert "「派单」是派单员用的" in talk(OWNER, f"派单 {number} 给 T02")
    assert talk.ticket(number).assignee_id != "T02"
