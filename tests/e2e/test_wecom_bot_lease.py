"""One live AI bot connection among several processes: the lease, the takeover, the step back.

Two channels on one database stand for two `serve` / `worker` processes. Time moves on the
injected clock only: a holder "killed" here stops without giving its lease back, as kill -9
would, and the other takes over once the clock has passed the lease.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bootstrap import Desk
from bot.channels.wecom_bot.channel import WecomBotChannel
from bot.channels.wecom_bot.settings import WecomBotSettings
from bot.wiring import Edges, wire
from scheduler.outbound import DeliveryError, Outgoing
from tests.conftest import FakeClock
from tests.e2e.test_wecom_bot import channel_of, fake  # noqa: F401  (fixture)
from tests.fakes.wecom_bot import FakeWecomBot

LEASE = 120   # long enough that no real-time renewal happens while a test runs


@pytest.fixture
def pair(desk: Desk, fake: FakeWecomBot) -> Iterator[tuple[WecomBotChannel, WecomBotChannel]]:
    fake.configure(desk.settings.wecom_bot)
    desk.settings.wecom_bot.lease = LEASE
    edges: list[Edges] = [wire(desk), wire(desk)]
    first, second = (channel_of(e) for e in edges)
    edges[0].start()
    fake.wait(lambda: fake.live)
    edges[1].start()
    assert second.connection.wait_for("waiting")
    yield first, second
    for e in edges:
        e.stop()


def nudge(channel: WecomBotChannel, expect: str) -> None:
    seen = len(channel.connection.states)
    channel.connection.nudge()
    assert channel.connection.wait_for(expect, after=seen)


def test_one_holder_and_a_takeover_once_a_killed_holder_s_lease_runs_out(
        desk: Desk, fake: FakeWecomBot, clock: FakeClock, pair: tuple[WecomBotChannel, WecomBotChannel]) -> None:
    first, second = pair
    nudge(second, "waiting")
    assert len(fake.subscribed()) == 1 and first.connection.connected.is_set()

    first.connection.stop(give_back=False)                 # kill -9: no goodbye, the lease stays
    fake.wait(lambda: fake.live is None)
    clock.advance(seconds=LEASE - 1)
    nudge(second, "waiting")                               # not yet: the lease has not run out
    assert fake.live is None

    clock.advance(seconds=2)
    nudge(second, "connected")
    assert len(fake.subscribed()) == 2 and fake.live is fake.subscribed()[-1]
    assert second.lease.current()[0] == second.lease.holder   # type: ignore[index]

    count = second.received + 1
    fake.push(fake.message("我的工单", "wangjianguo"))
    assert second.wait_handled(count)
    assert [s.text for s in fake.to("wangjianguo")] == ["您当前没有工单。"]


def test_by_default_a_dead_holder_is_replaced_within_30_seconds() -> None:
    s = WecomBotSettings()
    assert s.lease + s.lease / 4 <= 30     # run out, then the next candidate's look


def test_a_stalled_holder_steps_back_when_the_lease_moves_on(
        fake: FakeWecomBot, clock: FakeClock, pair: tuple[WecomBotChannel, WecomBotChannel]) -> None:
    first, second = pair
    clock.advance(seconds=LEASE + 1)                       # the holder hung: it renewed nothing
    nudge(second, "connected")                             # WeCom then drops the older connection
    assert first.connection.wait_for("waiting")
    nudge(first, "waiting")                                # and it does not fight to come back
    assert "kicked" not in first.connection.states
    assert fake.live is fake.subscribed()[-1] and len(fake.subscribed()) == 2


def test_a_process_without_the_connection_leaves_its_notices_to_the_holder(
        pair: tuple[WecomBotChannel, WecomBotChannel]) -> None:
    _, second = pair
    with pytest.raises(DeliveryError) as refused:
        second.senders["wecom_bot"].send(Outgoing("wangjianguo", "测试", key="k1"))
    assert refused.value.retry_after is not None and not refused.value.unsure   # waits, spends no attempt


def test_a_clean_stop_hands_the_connection_over_without_waiting(
        fake: FakeWecomBot, pair: tuple[WecomBotChannel, WecomBotChannel]) -> None:
    first, second = pair
    first.connection.stop()
    nudge(second, "connected")
    assert fake.live is fake.subscribed()[-1]
