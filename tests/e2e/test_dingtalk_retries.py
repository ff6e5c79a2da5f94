"""DingTalk never loses a message to a database blip: a robot message or card click whose
handling hits a transient failure leaves nothing behind, and its retry (DingTalk's, after a
non-200 answer on HTTP; ours, for an already acked Stream frame) is handled exactly once.
A reply that waits for flow control says so in `baoxiu outbox list`."""
from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from bot.bootstrap import Desk
from bot.channels.dingtalk.stream import StreamRunner
from bot.cli import cli
from domain.ticket import State
from tests.conftest import EXAMPLE, FakeClock
from tests.e2e.test_dingtalk_http import (  # noqa: F401  (fixtures)
    DESK, GROUP, IN_GROUP, MANAGER, client, fake, post, say, ticket_row, userid_of)
from tests.e2e.test_dingtalk_stream import CARD, _buttons, card_runner, push, runner  # noqa: F401
from tests.e2e.test_dingtalk_stream import say as stream_say
from tests.e2e.test_wecom_retries import outbox_blip, tickets  # noqa: F401  (fixture)
from tests.fakes.dingtalk import FakeDingtalk

REPORT = ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", "13912345678")


def created(fake: FakeDingtalk) -> list[str]:
    return [s.text for s in fake.to(IN_GROUP) if s.text.startswith("已代客创建工单")]


def test_an_http_callback_that_cannot_be_recorded_answers_503_and_its_retry_files_one_ticket(
        desk: Desk, fake: FakeDingtalk, client: TestClient, outbox_blip: dict[str, int]) -> None:
    for text in REPORT:
        say(client, fake, text)
    body = fake.message("确认", sender=DESK, group=GROUP)
    outbox_blip["armed"] = 1
    first = client.post("/dingtalk/robot", json=body, headers=fake.headers())
    assert first.status_code == 503 and outbox_blip["failed"] == 1
    assert tickets(desk) == 0 and not created(fake)
    post(client, fake, body)                                # DingTalk delivers it again
    assert tickets(desk) == 1
    assert len(created(fake)) == 1 and all(s.via == "webhook" for s in fake.to(IN_GROUP))


def test_an_http_reply_that_cannot_be_queued_is_sent_once_after_the_retry(
        desk: Desk, fake: FakeDingtalk, client: TestClient, outbox_blip: dict[str, int]) -> None:
    body = fake.message("帮助", sender=MANAGER)
    outbox_blip["armed"] = 1
    assert client.post("/dingtalk/robot", json=body, headers=fake.headers()).status_code == 503
    assert not fake.to(MANAGER)
    post(client, fake, body)
    replies = fake.to(MANAGER)
    assert len(replies) == 1 and "主管指令" in replies[0].text and replies[0].via == "webhook"


def test_a_stream_frame_that_cannot_be_recorded_is_kept_and_retried_once(
        desk: Desk, fake: FakeDingtalk, runner: StreamRunner, outbox_blip: dict[str, int]) -> None:
    for text in REPORT:
        stream_say(fake, runner, text)
    outbox_blip["armed"] = 1
    stream_say(fake, runner, "确认")                        # acked at once; the work fails, then is retried
    assert outbox_blip["failed"] == 1 and runner.pause.delays == [runner.reconnect_base]  # type: ignore[attr-defined]
    assert tickets(desk) == 1 and len(created(fake)) == 1


def test_a_card_click_that_cannot_be_recorded_is_retried_and_moves_the_ticket_once(
        desk: Desk, fake: FakeDingtalk, card_runner: StreamRunner, clock: FakeClock,
        outbox_blip: dict[str, int]) -> None:
    for text in (*REPORT, "确认"):
        stream_say(fake, card_runner, text)
    number = ticket_row(desk).number
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    (out_track_id, card), = [(k, c) for k, c in fake.cards.items() if c["chat"] == tech]
    outbox_blip["armed"] = 1
    push(fake, card_runner, CARD, fake.card_click(out_track_id, tech, f"接单 {number}"))
    assert outbox_blip["failed"] == 1 and ticket_row(desk).state is State.ACCEPTED
    assert card["params"]["status"].startswith(f"已接单 {number}") and _buttons(card) == []
    assert sum(s.text.startswith(f"已接单 {number}") for s in fake.to(tech)) == 1     # one reply to the clicker
    assert sum("已接单" in s.text and number in s.text for s in fake.to(IN_GROUP)) == 1


def test_a_flow_controlled_reply_says_why_it_waits_in_the_outbox_list(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock, tmp_path: Path) -> None:
    say(client, fake, "待派单")
    clock.advance(hours=2)                                  # the webhook is gone: replies use the API
    fake.flow_control_groups.add(GROUP)
    post(client, fake, fake.message("待派单", sender=DESK, group=GROUP, webhook_minutes=1))
    config = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, config)
    result = CliRunner().invoke(cli, ["--config", str(config), "outbox", "list", "--status", "pending"],
                                env={"BAOXIU_DATABASE_URL": desk.settings.database.url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    assert f"dingtalk:{IN_GROUP}" in line and "tries=0" in line and "flow-controlled, waiting" in line
