"""What WeCom answers when it is busy or unreachable, and what the outbox does about it:
45009 (frequency), 45033 (concurrency), a non-200 and a dropped connection are retried with
backoff until the message goes, once; a card update goes only to the holder of its code."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import Desk
from bot.channels.wecom.client import ApiError, WecomApi
from domain.notices import Notice
from scheduler.jobs import tick
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.fakes.wecom import AGENT_ID, Callbacks, FakeWecom, enable, fake, wecom  # noqa: F401

TECH = "wangjianguo"   # T01 in the demo data
SEND = "/cgi-bin/message/send"


def outbox(desk: Desk) -> tuple[str, int, str]:
    with desk.uow() as uow:
        return tuple(uow.session.execute(select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error)).one())


@pytest.mark.parametrize("fault, shown", [(45009, "45009"), (45033, "45033"), ("http 502", "HTTP 502"),
                                          ("network", "network")])
def test_a_busy_or_unreachable_wecom_is_retried_with_backoff_and_sends_once(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock, fault: int | str, shown: str) -> None:
    fake.fail(SEND, fault, fault)
    with desk.uow() as uow:
        uow.outbox.add(Notice("technician", "T01", "alert", "请尽快处理", "busy-1"), clock())
        uow.commit()
    tick(desk, wecom.outlets, clock())
    status, attempts, error = outbox(desk)
    assert (status, attempts) == ("pending", 1) and shown in error and fake.to(TECH) == []
    clock.advance(seconds=29)
    tick(desk, wecom.outlets, clock())
    assert len(fake.faulted) == 1, "retried before the backoff was over"
    clock.advance(seconds=2)
    tick(desk, wecom.outlets, clock())
    assert outbox(desk)[:2] == ("pending", 2) and fake.to(TECH) == []
    clock.advance(seconds=59)                          # the backoff doubles: 30 s, then 60 s
    tick(desk, wecom.outlets, clock())
    assert outbox(desk)[:2] == ("pending", 2)
    clock.advance(seconds=2)
    tick(desk, wecom.outlets, clock())
    assert outbox(desk)[0] == "sent" and [m["body"]["text"]["content"] for m in fake.to(TECH)] == ["请尽快处理"]


def test_a_card_update_is_refused_for_anyone_but_the_holder_of_the_code(desk: Desk, fake: FakeWecom,
                                                                       clock: FakeClock) -> None:
    enable(desk, fake)
    api = WecomApi(desk.settings.wecom, desk.store, clock)
    code = fake.issue_code("task-1", TECH)
    body = {"userids": ["someoneelse"], "agentid": AGENT_ID, "response_code": code, "button": {"replace_name": "x"}}
    with pytest.raises(ApiError) as refused:
        api.post("app", "/cgi-bin/message/update_template_card", body)
    assert refused.value.code == 81013 and fake.updates == []
    api.post("app", "/cgi-bin/message/update_template_card", {**body, "userids": [TECH]})
    assert fake.updates == [{"task_id": "task-1", "userids": [TECH], "replace_name": "x"}]
    api.close()
