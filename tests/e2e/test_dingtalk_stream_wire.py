"""The Stream connection itself: acks before work, nothing people wrote in the logs, reconnects."""
from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import select

import bot.channels.dingtalk.channel as dingtalk
from bot.bootstrap import Desk
from bot.channels.dingtalk.inbound import RobotMessage
from bot.channels.dingtalk.stream import StreamRunner
from storage.tables import InboundRow
from tests.e2e.test_dingtalk_http import DESK, IN_GROUP, MANAGER, fake  # noqa: F401  (fixture)
from tests.e2e.test_dingtalk_stream import (  # noqa: F401  (fixture)
    ROBOT, Pauses, file_for_a_caller, push, runner, say, start)
from tests.fakes.dingtalk import FakeDingtalk
from tests.fakes.dingtalk_gateway import WAIT

PHONE, ADDRESS = "13912345678", "滨江壹号"


def test_a_frame_is_acknowledged_before_its_work_runs(
        desk: Desk, fake: FakeDingtalk, runner: StreamRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    release, handled = threading.Event(), dingtalk.receive

    def held(d: Desk, message: RobotMessage) -> None:
        assert release.wait(WAIT)
        handled(d, message)

    monkeypatch.setattr(dingtalk, "receive", held)
    message_id = fake.gateway.push(ROBOT, fake.message("帮助", sender=MANAGER))
    assert fake.gateway.wait_ack(message_id)["code"] == 200    # while the work is still held up
    with desk.uow() as uow:
        assert not uow.session.scalars(select(InboundRow)).all()
    assert not fake.to(MANAGER)
    release.set()
    assert runner.wait_idle(WAIT)
    assert "主管指令" in fake.to(MANAGER)[-1].text


def test_no_log_record_of_a_stream_session_holds_a_phone_or_an_address(
        desk: Desk, fake: FakeDingtalk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for runner in start(desk, fake):
        number = file_for_a_caller(fake, runner, desk)
        body = fake.message(f"{ADDRESS} 5栋1单元1202 {PHONE}", sender=DESK)
        # Frames the SDK would have logged whole: an unknown callback topic, a ping, an unknown
        # type, a disconnect. Each is acknowledged, so the gateway does not send it again.
        for topic, kind in (("/v1.0/some/other/topic", "CALLBACK"), ("ping", "SYSTEM"),
                            ("whatever", "MYSTERY"), ("disconnect", "SYSTEM")):
            assert push(fake, runner, topic, body, kind=kind)["code"] == 200
        fake.gateway.wait_connected(2)
    assert any(number in s.text for s in fake.to(IN_GROUP))   # the session did real work
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert PHONE not in text and ADDRESS not in text, (record.name, text[:120])


def test_a_refused_connection_is_retried_with_a_doubling_backoff(desk: Desk, fake: FakeDingtalk) -> None:
    fake.gateway_failures = 3                              # connections/open answers 503 three times
    for runner in start(desk, fake):
        say(fake, runner, "帮助", sender=MANAGER, group=None)
        assert isinstance(runner.pause, Pauses)
        assert runner.pause.delays == [runner.reconnect_base * 1, runner.reconnect_base * 2,
                                       runner.reconnect_base * 4]
    assert fake.gateway.connections == 1 and "主管指令" in fake.to(MANAGER)[-1].text
