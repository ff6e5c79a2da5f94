"""Replies handed from a callback to its own process's delivery thread (storage.handoff): written
already taken, sent once from memory with no claim, and, when the process dies before sending
them, sent once by any delivery pass after their lease runs out."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.bootstrap import Desk
from bot.wiring import Edges
from handlers.base import Inbound
from handlers.router import handle_into_outbox
from scheduler.delivery import LEASE, deliver_due, deliver_handed
from scheduler.ports import Outlets
from scheduler.wake import Waker
from storage.handoff import MARGIN, Handoff
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.integration.test_delivery_batch import Recorder

OWNER = "wangfang"   # a WeCom member the desk does not know yet: still answered


def replies(desk: Desk) -> list[tuple[str, str]]:
    with desk.uow() as uow:
        return [(status, address) for status, address in uow.session.execute(
            select(OutboxRow.status, OutboxRow.address).where(OutboxRow.kind == "reply"))]


def a_message(desk: Desk, msg_id: str = "m1") -> str:
    """The bot's answer to an owner's greeting."""
    return handle_into_outbox(desk, Inbound("wecom", OWNER, "你好", msg_id))[0].text


def test_a_handed_reply_is_sent_once_from_memory_and_no_pass_claims_it_again(desk: Desk, clock: FakeClock) -> None:
    wakes: list[int] = []
    desk.handoff = Handoff(LEASE, lambda: wakes.append(1))
    answer = a_message(desk)
    assert wakes == [1]                                   # the delivery thread is woken by the hand-over
    assert [status for status, _ in replies(desk)] == ["sending"]
    sender = Recorder()
    assert deliver_due(desk, {"wecom": sender}, clock()) == 0   # taken: no pass claims it meanwhile
    assert deliver_handed(desk, {"wecom": sender}, desk.handoff.take(clock()), clock()) == 1
    assert [(m.to, m.text) for m in sender.sent] == [(OWNER, answer)]
    assert replies(desk) == [("sent", OWNER)]
    clock.now += LEASE + timedelta(minutes=1)
    assert deliver_due(desk, {"wecom": sender}, clock()) == 0
    assert desk.handoff.take(clock()) == []
    assert len(sender.sent) == 1


def test_a_retried_message_hands_nothing_more(desk: Desk, clock: FakeClock) -> None:
    desk.handoff = Handoff(LEASE, lambda: None)
    a_message(desk)
    assert handle_into_outbox(desk, Inbound("wecom", OWNER, "你好", "m1")) == []   # the platform's retry
    assert len(desk.handoff.take(clock())) == 1


def test_replies_of_a_process_that_died_before_sending_go_out_once_after_their_lease(
        desk: Desk, clock: FakeClock) -> None:
    desk.handoff = Handoff(LEASE, lambda: None)
    a_message(desk)
    desk.handoff = None   # the process died: what it held in memory is gone
    sender = Recorder()
    clock.now += LEASE - timedelta(seconds=1)
    assert deliver_due(desk, {"wecom": sender}, clock()) == 0
    clock.now += timedelta(seconds=2)
    assert deliver_due(desk, {"wecom": sender}, clock()) == 1
    assert [m.to for m in sender.sent] == [OWNER]
    assert replies(desk) == [("sent", OWNER)]


def test_a_hand_over_near_the_end_of_its_lease_is_left_to_the_claims(desk: Desk, clock: FakeClock) -> None:
    """A delivery thread far behind must not send what a claim may be taking at the same time."""
    desk.handoff = Handoff(LEASE, lambda: None)
    a_message(desk)
    clock.now += LEASE - MARGIN
    assert desk.handoff.take(clock()) == []
    sender = Recorder()
    clock.now += MARGIN
    assert deliver_due(desk, {"wecom": sender}, clock()) == 1
    assert len(sender.sent) == 1 and replies(desk) == [("sent", OWNER)]


def test_without_a_delivery_thread_here_replies_wait_for_any_pass(desk: Desk, clock: FakeClock) -> None:
    a_message(desk)
    assert [status for status, _ in replies(desk)] == ["pending"]
    sender = Recorder()
    assert deliver_due(desk, {"wecom": sender}, clock()) == 1
    assert replies(desk) == [("sent", OWNER)]


def test_replies_handed_over_after_the_last_pass_go_out_when_the_process_stops(desk: Desk, clock: FakeClock) -> None:
    sender = Recorder()
    edges = Edges(desk, outlets=Outlets(senders={"wecom": sender}))
    edges.waker = Waker(lambda: None).start()            # a loop that has not got to them yet
    desk.handoff = Handoff(LEASE, lambda: None)
    answer = a_message(desk)
    edges.stop()
    assert [(m.to, m.text) for m in sender.sent] == [(OWNER, answer)]
    assert replies(desk) == [("sent", OWNER)] and desk.handoff is None
