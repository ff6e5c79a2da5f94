"""Talking, not typing commands, through DingTalk's signed callbacks: the desk in its group, a technician
in a private chat and a manager ask in their own words."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bot.bootstrap import Desk
from domain.ticket import State
from tests.e2e.test_dingtalk_http import (DESK, IN_GROUP, MANAGER, client, fake,  # noqa: F401
                                          file_for_a_caller, say, ticket_row, userid_of)
from tests.fakes.dingtalk import FakeDingtalk


def test_the_desk_a_technician_and_a_manager_talk_in_plain_words_on_dingtalk(
        desk: Desk, fake: FakeDingtalk, client: TestClient) -> None:  # noqa: F811
    number = file_for_a_caller(client, fake)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    say(client, fake, "行 这单我来", sender=tech, group=None)
    assert ticket_row(desk).state is State.ACCEPTED

    say(client, fake, "这单我做不了 退回", sender=tech, group=None)
    ticket = ticket_row(desk)
    assert ticket.state is State.NEW and ticket.assignee_id is None
    assert any(f"【师傅退回】{number}" in s.text for s in fake.sent)

    say(client, fake, "统计", sender=tech, group=None)
    answer = fake.to(tech)[-1].text
    assert "派单员和主管用的" in answer and "您可以" in answer

    say(client, fake, "还有多少单没派")
    assert number in fake.to(IN_GROUP)[-1].text

    say(client, fake, "上周的统计", sender=MANAGER)
    assert "统计 2026-11-16 至 2026-11-22" in fake.to(IN_GROUP)[-1].text
    say(client, fake, "那段时间的数据", sender=MANAGER)
    assert "没看懂要统计哪段时间" in fake.to(IN_GROUP)[-1].text

