"""Nothing said twice: a resend after a crash or a lost answer carries the platform's idempotency,
and where a platform has none, a send whose answer was lost is marked, not repeated."""
from __future__ import annotations


from sqlalchemy import select

from bot.bootstrap import Desk
from bot.wiring import wire
from domain.notices import Notice
from scheduler.delivery import LEASE, deliver_due
from scheduler.outbound import Outgoing, Sender
from scheduler.jobs import tick
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.fakes.wecom import FakeWecom, enable, fake, wecom  # noqa: F401  (fixtures)

TECH, SEND = "wangjianguo", "/cgi-bin/message/send"   # T01 in the demo data


class Crash(BaseException):
    """kill -9 between the platform's answer and the row being marked sent."""


class DiesAfterSending:
    def __init__(self, real: Sender) -> None:
        self.real, self.name = real, real.name

    def send(self, message: Outgoing) -> None:
        self.real.send(message)
        raise Crash()


def queue(desk: Desk, clock: FakeClock, key: str, person: str = "T01", role: str = "technician") -> None:
    with desk.uow() as uow:
        uow.outbox.add(Notice(role, person, "alert", "工单 BX20261123-0001 请尽快处理", key), clock())
        uow.commit()


def row(desk: Desk) -> tuple[str, str]:
    with desk.uow() as uow:
        return tuple(uow.session.execute(select(OutboxRow.status, OutboxRow.last_error)).one())  # type: ignore[return-value]


def test_a_send_cut_off_by_a_crash_is_resent_after_the_lease_and_shown_once(
        desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    enable(desk, fake)
    queue(desk, clock, "crash-1")
    real = wire(desk).outlets
    try:
        deliver_due(desk, {"wecom": DiesAfterSending(real.senders["wecom"])}, clock())
    except Crash:
        pass
    assert len(fake.to(TECH)) == 1 and row(desk)[0] == "sending"
    clock.advance(seconds=LEASE.total_seconds() + 1)
    tick(desk, real, clock())
    assert row(desk)[0] == "sent"
    bodies = [b for path, b in fake.requests if path == SEND]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0]["enable_duplicate_check"] == 1
    assert bodies[0]["duplicate_check_interval"] == 14400
    assert len(fake.to(TECH)) == 1                       # WeCom dropped the repeat


def test_a_wecom_send_whose_answer_was_lost_is_retried_and_shown_once(
        desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    enable(desk, fake)
    queue(desk, clock, "lost-1")
    fake.fail(SEND, "lost")
    tick(desk, wire(desk).outlets, clock())
    status, error = row(desk)
    assert status == "pending" and "answer lost" in error and len(fake.to(TECH)) == 1
    clock.advance(seconds=31)
    tick(desk, wire(desk).outlets, clock())
    assert row(desk)[0] == "sent" and len(fake.to(TECH)) == 1


def test_a_refused_connection_is_retried_as_not_sent(desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    enable(desk, fake)
    desk.settings.wecom.api_base_url = "http://127.0.0.1:9"   # nothing listens: connection refused
    queue(desk, clock, "refused-1")
    tick(desk, wire(desk).outlets, clock())
    status, error = row(desk)
    assert status == "pending" and "not sent" in error


def test_the_fake_keeps_wecoms_interval(desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    enable(desk, fake)
    for key in ("same-1", "same-2"):                    # two notices, same words: shown once within 4 h
        queue(desk, clock, key)
        tick(desk, wire(desk).outlets, clock())
    assert len(fake.to(TECH)) == 1
    clock.advance(hours=4, seconds=1)
    queue(desk, clock, "same-3")
    tick(desk, wire(desk).outlets, clock())
    assert len(fake.to(TECH)) == 2
