"""DingTalk in Stream mode, end to end: the SDK client against the fake gateway on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.bootstrap import Desk
from bot.channels.dingtalk.stream import StreamRunner
from bot.wiring import wire
from domain.ticket import State
from scheduler.jobs import tick
from storage.tables import InboundRow, OutboxRow, TechnicianRow, TicketEventRow, TicketRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import (  # noqa: F401  (fixture)
    DESK, GROUP, IN_GROUP, MANAGER, fake, offer_for, ticket_row, userid_of)
from tests.fakes.dingtalk import FakeDingtalk
from tests.fakes.dingtalk_gateway import WAIT

ROBOT, CARD = "/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"


class Pauses:
    """The runner's reconnect backoff without waiting: each delay is recorded, none is slept."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def start(desk: Desk, fake: FakeDingtalk, mode: str = "stream", cards: bool = False) -> Iterator[StreamRunner]:
    fake.configure(desk.settings.dingtalk, mode=mode, cards=cards)
    app = create_app(desk)
    runner = app.state.edges.channels[0].stream
    assert isinstance(runner, StreamRunner)
    runner.pause = Pauses()  # type: ignore[method-assign]
    connection = fake.gateway.connections + 1             # a restart makes a second connection
    with TestClient(app):
        fake.gateway.wait_connected(connection)
        yield runner
    assert not fake.gateway.unacked()                    # every frame was acknowledged


@pytest.fixture
def runner(desk: Desk, fake: FakeDingtalk) -> Iterator[StreamRunner]:
    yield from start(desk, fake)


@pytest.fixture
def card_runner(desk: Desk, fake: FakeDingtalk) -> Iterator[StreamRunner]:
    yield from start(desk, fake, cards=True)


def push(fake: FakeDingtalk, runner: StreamRunner, topic: str, data: dict[str, Any], kind: str = "CALLBACK",
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    ack = fake.gateway.wait_ack(fake.gateway.push(topic, data, kind, headers))
    assert runner.wait_idle(WAIT)                         # its work done, replies sent
    return ack


def say(fake: FakeDingtalk, runner: StreamRunner, text: str, sender: str = DESK,
        group: str | None = GROUP) -> dict[str, Any]:
    body = fake.message(text, sender=sender, group=group)
    assert push(fake, runner, ROBOT, body)["code"] == 200
    return body


def file_for_a_caller(fake: FakeDingtalk, runner: StreamRunner, desk: Desk) -> str:
    for text in ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", "13912345678", "确认"):
        say(fake, runner, text)
    return ticket_row(desk).number


def test_a_fault_filed_in_a_group_over_stream_reaches_the_technician_and_the_figures(
        desk: Desk, fake: FakeDingtalk, runner: StreamRunner, clock: FakeClock) -> None:
    assert {"type": "CALLBACK", "topic": ROBOT} in fake.gateway.subscriptions[0]
    number = file_for_a_caller(fake, runner, desk)
    assert any(s.text.startswith(f"已代客创建工单 {number}") for s in fake.to(IN_GROUP))
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    card = offer_for(fake, tech)

    clock.advance(minutes=10)
    tap = fake.tap(card, "接单")
    push(fake, runner, ROBOT, tap)
    assert ticket_row(desk).state is State.ACCEPTED
    assert any(s.text.startswith(f"【业主通知】工单 {number}：") and "已接单" in s.text for s in fake.to(IN_GROUP))
    sent, before = len(fake.sent), rows(desk)
    push(fake, runner, ROBOT, tap)                      # the same frame content delivered twice
    assert len(fake.sent) == sent and ticket_row(desk).state is State.ACCEPTED
    assert rows(desk) == before
    with desk.uow() as uow:
        assert uow.session.scalar(select(func.count(TicketRow.id))) == 1
        assert uow.session.scalar(select(func.count()).where(InboundRow.msg_id == tap["msgId"])) == 1

    say(fake, runner, "到达", sender=tech, group=None)
    clock.advance(minutes=50)
    say(fake, runner, "完工 已修复", sender=tech, group=None)
    say(fake, runner, "今日统计", sender=MANAGER)
    figures = fake.to(IN_GROUP)[-1].text
    assert "新建 1" in figures and "平均接单用时 10分钟" in figures and "平均解决用时 1小时0分" in figures


def rows(desk: Desk) -> tuple[int, ...]:
    """Tickets, their audit trail, notices and handled messages: what a repeat must not add to."""
    with desk.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t)) or 0
                     for t in (TicketRow, TicketEventRow, OutboxRow, InboundRow))


def test_the_client_reconnects_after_the_connection_drops(
        desk: Desk, fake: FakeDingtalk, runner: StreamRunner) -> None:
    fake.gateway.drop()
    fake.gateway.wait_connected(2)
    say(fake, runner, "帮助", sender=MANAGER, group=None)
    assert "主管指令" in fake.to(MANAGER)[-1].text


def test_a_disconnect_frame_is_acked_and_followed_by_a_new_connection(
        fake: FakeDingtalk, runner: StreamRunner) -> None:
    ack = push(fake, runner, "disconnect", {"reason": "server restart"}, kind="SYSTEM")
    assert ack["code"] == 200
    fake.gateway.wait_connected(2)


def test_frames_that_are_not_understood_are_acked_and_change_nothing(
        desk: Desk, fake: FakeDingtalk, runner: StreamRunner) -> None:
    assert push(fake, runner, ROBOT, {"msgtype": "text", "text": "not an object"})["code"] == 200
    frame = ('{"specVersion":"1.0","type":"CALLBACK","data":"{not json","headers":{"messageId":"m-bad",'
             '"topic":"/v1.0/im/bot/messages/get","contentType":"application/json"}}')
    fake.gateway.send_raw(frame)
    assert fake.gateway.wait_ack("m-bad")["code"] == 400
    with desk.uow() as uow:
        assert not uow.session.scalars(select(InboundRow)).all()
    assert not fake.sent


def test_org_events_arrive_over_stream_too(desk: Desk, fake: FakeDingtalk, runner: StreamRunner) -> None:
    push(fake, runner, "user_leave_org", {"userId": ["053612207728"]}, kind="EVENT",
         headers={"eventType": "user_leave_org", "eventId": "ev1"})
    with desk.uow() as uow:
        assert uow.session.get(TechnicianRow, "T01").active is False  # type: ignore[union-attr]


def test_job_cards_are_interactive_cards_when_a_template_is_set(
        desk: Desk, fake: FakeDingtalk, card_runner: StreamRunner, clock: FakeClock) -> None:
    number = file_for_a_caller(fake, card_runner, desk)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    (out_track_id, card), = [(k, c) for k, c in fake.cards.items() if c["chat"] == tech]
    assert "接单" in card["params"]["buttons"] and card["params"]["status"] == ""

    push(fake, card_runner, ROBOT, fake.message("hi", sender=tech))   # noise in between
    push(fake, card_runner, CARD, fake.card_click(out_track_id, tech, f"改派 {number} 给 T01"))
    assert ticket_row(desk).state is State.ASSIGNED               # a command the card never had
    push(fake, card_runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert ticket_row(desk).state is State.ACCEPTED
    assert card["params"]["buttons"] == "[]" and card["params"]["status"].startswith(f"已接单 {number}")
    updates = card["updates"]
    push(fake, card_runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert card["updates"] == updates


def test_an_expired_offer_closes_its_card_and_the_next_technician_gets_one(
        desk: Desk, fake: FakeDingtalk, card_runner: StreamRunner, clock: FakeClock) -> None:
    file_for_a_caller(fake, card_runner, desk)
    first = userid_of(desk, ticket_row(desk).assignee_id or "")
    clock.advance(minutes=16)
    tick(desk, wire(desk).outlets, clock())
    second = userid_of(desk, ticket_row(desk).assignee_id or "")
    assert second != first
    closed = [c for c in fake.cards.values() if c["chat"] == first][0]
    assert closed["params"]["buttons"] == "[]" and "超时" in closed["params"]["status"]
    assert [c for c in fake.cards.values() if c["chat"] == second][0]["params"]["status"] == ""


def test_an_owner_on_dingtalk_confirms_and_rates_with_card_buttons(
        desk: Desk, fake: FakeDingtalk, card_runner: StreamRunner, clock: FakeClock) -> None:
    owner = "owner0001"

    def click(user: str, label: str) -> None:
        (out_track_id, command), = [(k, b["command"]) for k, c in fake.cards.items() if c["chat"] == user
                                    for b in _buttons(c) if b["text"] == label]
        push(fake, card_runner, CARD, fake.card_click(out_track_id, user, command))

    for text in ("厨房水龙头漏水了，翠湖花园3栋2单元501", "13800138000"):
        say(fake, card_runner, text, sender=owner, group=None)
    click(owner, "确认")
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    click(tech, "接单")
    say(fake, card_runner, "到达", sender=tech, group=None)
    clock.advance(hours=1)
    say(fake, card_runner, "完工 已修复", sender=tech, group=None)
    click(owner, "修好了")
    clock.advance(minutes=10)                           # the survey follows the confirmation
    tick(desk, wire(desk).outlets, clock())
    click(owner, "5")
    ticket = ticket_row(desk)
    assert ticket.state is State.CLOSED and ticket.rating == 5


def _buttons(card: dict[str, Any]) -> list[dict[str, str]]:
    return list(json.loads(card["params"]["buttons"]))


def test_http_mode_with_a_template_streams_only_the_card_clicks(desk: Desk, fake: FakeDingtalk) -> None:
    for _ in start(desk, fake, mode="http", cards=True):
        assert fake.gateway.subscriptions[0] == [{"type": "CALLBACK", "topic": CARD}]


def test_stream_mode_has_no_http_routes(desk: Desk, fake: FakeDingtalk, runner: StreamRunner) -> None:
    client = TestClient(create_app(desk))                # no second lifespan: the stream is already up
    assert client.post("/dingtalk/robot", json={}).status_code == 404
    assert client.post("/dingtalk/events", json={}).status_code == 404
