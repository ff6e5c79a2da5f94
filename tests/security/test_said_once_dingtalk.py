"""DingTalk robot messages have no idempotency key: a send whose answer was lost may have arrived,
so it is marked for a person to check, never sent a second time (cards carry an outTrackId)."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bot.bootstrap import Desk
from bot.wiring import wire
from scheduler.jobs import tick
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import MANAGER, client, fake  # noqa: F401  (fixtures)
from tests.fakes.dingtalk import FakeDingtalk
from tests.security.test_said_once import queue, row


def test_a_dingtalk_robot_send_whose_answer_was_lost_is_marked_not_repeated(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    queue(desk, clock, "ding-1", person="M01", role="manager")
    with desk.uow() as uow:
        uow.identities.touch("dingtalk", MANAGER, "manager", "M01", clock())
        uow.commit()
    fake.lose_answer.add("/v1.0/robot/oToMessages/batchSend")
    tick(desk, wire(desk).outlets, clock())
    status, error = row(desk)
    assert status == "unsure" and "may have been delivered" in error
    clock.advance(hours=1)
    tick(desk, wire(desk).outlets, clock())
    assert len(fake.to(MANAGER)) == 1 and row(desk)[0] == "unsure"


def test_a_session_webhook_reply_whose_answer_was_lost_does_not_fall_back_to_a_second_send(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    fake.lose_answer.add("/robot/sendBySession")
    body = fake.message("帮助", sender=MANAGER)
    assert client.post("/dingtalk/robot", json=body, headers=fake.headers()).status_code == 200
    clock.advance(minutes=5)
    tick(desk, wire(desk).outlets, clock())
    replies = fake.to(MANAGER)
    assert len(replies) == 1 and replies[0].via == "webhook"
    assert row(desk)[0] == "unsure"


