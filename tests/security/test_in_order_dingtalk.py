"""DingTalk messages carry createAt: one redelivered after a newer message from the same person is
answered as late and not acted on, as on WeCom."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bot.bootstrap import Desk
from bot.wiring import wire
from scheduler.jobs import tick
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import DESK, client, fake, post  # noqa: F401  (fixtures)
from tests.fakes.dingtalk import FakeDingtalk


def test_an_older_dingtalk_message_delivered_after_a_newer_one_is_not_acted_on(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    older = fake.message("取消", sender=DESK)                 # sent first, its delivery delayed
    clock.advance(seconds=20)
    post(client, fake, fake.message("代客报修", sender=DESK))
    clock.advance(seconds=10)
    post(client, fake, older)
    tick(desk, wire(desk).outlets, clock())
    replies = [s.text for s in fake.to(DESK)]
    assert any("刚刚才送达" in r and "取消" in r for r in replies), replies
