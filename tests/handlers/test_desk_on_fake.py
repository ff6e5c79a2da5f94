"""Dispatchers reassign and reprioritise: the role handler on the recording unit of work (no SQL)."""
from __future__ import annotations

from tests.conftest import FakeDesk, Talk
from tests.handlers.test_technician_offers import offered

DESK = "dispatcher:D01"


def test_manual_assignment_offers_to_the_named_technician_and_tells_the_old_one(talk: Talk,
                                                                               fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    old = talk.ticket(number).assignee_id
    new = "T10" if old != "T10" else "T11"
    out = talk(DESK, f"派单 {number} 给 {new}")
    assert f"已将 {number} 派给" in out
    assert f"→ technician:{new} 【新工单】{number}" in out
    assert f"→ technician:{old} 工单 {number} 已改派给其他师傅" in out
    assert talk.ticket(number).assignee_id == new


def test_assigning_by_name_works_and_unknown_names_are_refused(talk: Talk, fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    talk(DESK, f"派单 {number} 给 T10")
    assert "已将" in talk(DESK, f"派单 {number} 给 王建国")
    assert talk.ticket(number).assignee_id == "T01"
    assert "没有找到师傅" in talk(DESK, f"派单 {number} 给 诸葛亮")


def test_priority_changes_recompute_the_deadline(talk: Talk, fake_desk: FakeDesk) -> None:
    number, _ = offered(fake_desk)
    before = talk.ticket(number).resolve_by
    out = talk(DESK, f"改优先级 {number} 紧急")
    assert "优先级已改为 紧急" in out
    ticket = talk.ticket(number)
    assert ticket.priority == "urgent" and ticket.resolve_by < before
    assert "可选" in talk(DESK, f"改优先级 {number} 超级急")
