"""The WeCom AI bot over its long connection, end to end against the fake server on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from sqlalchemy import func, select

from bot.bootstrap import Desk
from bot.channels.wecom_bot import state
from bot.channels.wecom_bot.channel import WecomBotChannel
from bot.wiring import Edges, wire
from domain.ticket import State
from storage.tables import InboundRow, OutboxRow, TicketEventRow, TicketRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import ticket_row
from tests.fakes.wecom_bot import BOT_ID, SECRET, FakeWecomBot, Sent

DESK, GROUP = "chenjing", "wrkSFfCgAABaoxiuDesk"      # 陈静, a dispatcher, and the service desk's group
IN_GROUP = "group:" + GROUP


@pytest.fixture
def fake() -> Iterator[FakeWecomBot]:
    f = FakeWecomBot()
    yield f
    f.stop()


def channel_of(edges: Edges) -> WecomBotChannel:
    found = [c for c in edges.channels if isinstance(c, WecomBotChannel)]
    assert len(found) == 1
    return found[0]


@pytest.fixture
def bot(desk: Desk, fake: FakeWecomBot) -> Iterator[WecomBotChannel]:
    fake.configure(desk.settings.wecom_bot)
    edges = wire(desk)
    channel = channel_of(edges)
    channel.connection.reconnect_base = 0.01
    edges.start()
    fake.wait(lambda: fake.live)
    yield channel
    edges.stop()


def push(fake: FakeWecomBot, bot: WecomBotChannel, frame: dict[str, Any]) -> dict[str, Any]:
    count = bot.received + 1
    fake.push(frame)
    assert bot.wait_handled(count)
    return frame


def say(fake: FakeWecomBot, bot: WecomBotChannel, text: str, sender: str = DESK,
        group: str | None = GROUP) -> dict[str, Any]:
    return push(fake, bot, fake.message(text, sender, group))


def rows(desk: Desk) -> tuple[int, ...]:
    with desk.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(t)) or 0
                     for t in (TicketRow, TicketEventRow, OutboxRow, InboundRow))


def wecom_user(desk: Desk, tech_id: str) -> str:
    with desk.uow() as uow:
        return uow.identities.platform_ids("wecom", "technician", tech_id)[0]


def offer_card(fake: FakeWecomBot, user: str) -> Sent:
    cards = [s for s in fake.to(user) if s.kind == "template_card"]
    assert cards, [s.text for s in fake.to(user)]
    return cards[-1]


def file_a_report(fake: FakeWecomBot, bot: WecomBotChannel) -> str:
    for text in ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", "13912345678", "确认"):
        say(fake, bot, text)
    return ticket_row(bot.desk).number


def test_a_job_goes_from_the_offer_card_to_done(desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel,
                                                clock: FakeClock) -> None:
    for tech in ("wangjianguo", "liuyang"):   # WeCom pushes only to people who wrote to the bot once
        say(fake, bot, "我的工单", sender=tech, group=None)
    number = file_a_report(fake, bot)
    assert any(s.text.startswith(f"已代客创建工单 {number}") for s in fake.to(GROUP))
    assert all(s.chat_type == 2 and s.kind == "markdown" for s in fake.to(GROUP))

    tech = wecom_user(desk, ticket_row(desk).assignee_id or "")
    card = offer_card(fake, tech)
    assert number in card.text and [label for label, _ in card.buttons] == ["接单", "拒单"]
    assert card.chat_type == 1

    clock.advance(minutes=10)
    click = push(fake, bot, fake.click(card, "接单", tech))
    assert ticket_row(desk).state is State.ACCEPTED
    # The caller is on no channel here: the desk is asked to phone them instead.
    assert any(s.text.startswith(f"【通知未送达】工单 {number}") for s in fake.to(DESK))
    update = fake.wait(lambda: fake.updates)[-1]
    assert update["req_id"] == click["headers"]["req_id"]
    assert update["card"]["task_id"] == card.body["template_card"]["task_id"]
    assert update["card"]["main_title"]["title"].startswith(f"已接单 {number}")
    assert [b["text"] for b in update["card"]["button_list"]] == ["已接单"]

    before, sent = rows(desk), len(fake.sent)
    push(fake, bot, click)                                 # the same click delivered again
    assert rows(desk) == before and len(fake.sent) == sent and len(fake.updates) == 1

    say(fake, bot, "到达", sender=tech, group=None)
    clock.advance(hours=1)
    say(fake, bot, "完工 更换进水阀", sender=tech, group=None)
    assert ticket_row(desk).state is State.RESOLVED
    assert any(f"{number}" in s.text and "完工" in s.text for s in fake.to(tech))


def test_a_redelivered_message_is_handled_once_even_after_a_reconnect(
        desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    frame = say(fake, bot, "今日统计", sender="zhengguohua", group=None)
    answers, before = len(fake.to("zhengguohua")), rows(desk)
    assert answers >= 1

    first = fake.live
    asyncio.run_coroutine_threadsafe(first.ws.close(), fake._loop).result(5)   # the socket drops
    fake.wait(lambda: fake.live is not None and fake.live is not first)
    push(fake, bot, frame)                                 # WeCom delivers the frame again
    assert len(fake.to("zhengguohua")) == answers and rows(desk) == before
    with desk.uow() as uow:
        msgid = frame["body"]["msgid"]
        assert uow.session.scalar(select(func.count()).where(InboundRow.msg_id == msgid)) == 1


def test_group_text_loses_the_mention_and_offers_in_groups_are_replies_to_type(
        desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    say(fake, bot, "帮助")
    reply = fake.to(GROUP)[-1]
    assert reply.kind == "markdown" and "没看懂" not in reply.text


def test_a_picture_gets_a_hint_once(desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    frame = push(fake, bot, fake.message("", "liqiang", kind="image"))
    push(fake, bot, frame)
    assert [s.text for s in fake.to("liqiang")] == ["暂时只能看懂文字，请用文字描述（图片请通过企业微信应用或钉钉发送）。"]


def test_the_fake_kicks_the_older_connection_on_a_second_subscribe(fake: FakeWecomBot) -> None:
    async def both() -> tuple[list[dict[str, Any]], bool]:
        subscribe = {"cmd": "aibot_subscribe", "headers": {"req_id": "s1"}, "body": {"bot_id": BOT_ID, "secret": SECRET}}
        async with websockets.connect(fake.url) as old, websockets.connect(fake.url) as new:
            await old.send(json.dumps(subscribe))
            assert json.loads(await old.recv())["errcode"] == 0
            await new.send(json.dumps({**subscribe, "headers": {"req_id": "s2"}}))
            assert json.loads(await new.recv())["errcode"] == 0
            got = [json.loads(raw) async for raw in old]
            await new.send(json.dumps({"cmd": "ping", "headers": {"req_id": "p1"}}))
            return got, json.loads(await new.recv())["errcode"] == 0
    frames, alive = asyncio.run(both())
    assert [f["body"]["event"]["eventtype"] for f in frames] == ["disconnected_event"] and alive


def test_a_connection_from_outside_is_not_fought(desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    async def intrude() -> None:
        ws = await websockets.connect(fake.url)
        await ws.send(json.dumps({"cmd": "aibot_subscribe", "headers": {"req_id": "x"},
                                  "body": {"bot_id": BOT_ID, "secret": SECRET}}))
        await ws.recv()
    theirs = fake.wait(lambda: fake.live)
    # Ceilings, not waits: a loaded machine (the suite on two cores) must not fail this.
    asyncio.run_coroutine_threadsafe(intrude(), fake._loop).result(60)
    assert bot.connection.wait_for("kicked", timeout=60)
    assert fake.live is not theirs and len(fake.subscribed()) == 2   # we did not subscribe again
    assert (state.last(desk.store) or {}).get("state") == "kicked"


def test_wrong_secret_is_reported(desk: Desk, fake: FakeWecomBot) -> None:
    fake.configure(desk.settings.wecom_bot)
    desk.settings.wecom_bot.secret = "wrong"
    channel = channel_of(wire(desk))
    channel.start()
    try:
        assert channel.connection.wait_for("refused")
        assert not fake.subscribed()
    finally:
        channel.stop()


def test_a_member_opening_the_chat_is_welcomed_once(fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    frame = push(fake, bot, fake.enter_chat("liqiang"))
    push(fake, bot, frame)
    assert [w["text"]["content"][:11] for w in fake.welcomes] == ["您好，这里是报修助手。"]
    assert not fake.to("liqiang")                          # a welcome is no message of the day's quota


def test_a_click_stuck_behind_slow_work_still_gets_its_card_answered_in_time(
        desk: Desk, fake: FakeWecomBot, bot: WecomBotChannel) -> None:
    for tech in ("wangjianguo", "liuyang"):
        say(fake, bot, "我的工单", sender=tech, group=None)
    number = file_a_report(fake, bot)
    tech = wecom_user(desk, ticket_row(desk).assignee_id or "")
    card = offer_card(fake, tech)
    busy = threading.Event()
    assert bot._worker is not None
    bot._worker.submit(busy.wait, 10)                       # the worker is held up elsewhere
    bot.click_budget = 0.0                                 # and the click's budget runs out at once
    count = bot.received + 1
    fake.push(fake.click(card, "接单", tech))
    update = fake.wait(lambda: fake.updates)[-1]
    assert update["card"]["main_title"]["title"] == "已收到，正在处理…"
    busy.set()
    assert bot.wait_handled(count)
    assert ticket_row(desk).state is State.ACCEPTED and len(fake.updates) == 1
    assert any(s.text.startswith(f"已接单 {number}") for s in fake.to(tech))   # the outcome as a message
