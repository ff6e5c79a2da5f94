"""A delivery pass judges each notice of its batch knowing what it decided for the ones before:
an offer's timeout goes out when its offer goes out in the same pass, and not when the offer is
dropped there."""
from __future__ import annotations

from sqlalchemy import select, update

from domain.model import Role
from domain.notices import Notice
from handlers.base import Inbound
from handlers.router import handle
from scheduler.delivery import deliver_due
from scheduler.outbound import Outgoing
from storage.tables import OutboxRow
from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_after_service import OWNER


class Recorder:
    name = "console"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)


def offer_and_its_timeout(chat: Chat, clock: FakeClock) -> tuple[str, str]:
    """An offer queued, not yet delivered, and its timeout queued behind it: one batch."""
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    handle(chat.desk, Inbound("console", OWNER, "确认"))
    number = chat.last_number()
    tech = chat.ticket(number).assignee_id
    with chat.desk.uow() as uow:
        uow.outbox.add(Notice(Role.TECHNICIAN, tech, "expired", f"工单 {number} 超时未接", f"test:expired-{number}",
                              number), clock())
        uow.commit()
    return number, tech


def statuses(chat: Chat, number: str) -> dict[str, str]:
    with chat.desk.uow() as uow:
        rows = uow.session.execute(select(OutboxRow.kind, OutboxRow.status).where(
            OutboxRow.ticket_number == number, OutboxRow.kind.in_(("offer", "expired"))))
        return {kind: status for kind, status in rows}


def test_a_timeout_in_the_same_pass_as_its_offer_goes_out_after_it(chat: Chat, clock: FakeClock) -> None:
    number, tech = offer_and_its_timeout(chat, clock)
    sender = Recorder()
    deliver_due(chat.desk, {"console": sender}, clock(), fallback="console")
    kinds = [m.kind for m in sender.sent if m.ticket_number == number and m.kind in ("offer", "expired")]
    assert kinds == ["offer", "expired"]
    assert statuses(chat, number) == {"offer": "sent", "expired": "sent"}


def test_a_timeout_in_the_same_pass_as_its_dropped_offer_is_dropped_too(chat: Chat, clock: FakeClock) -> None:
    number, tech = offer_and_its_timeout(chat, clock)
    with chat.desk.uow() as uow:   # the job went to someone else before the offer could go out
        uow.session.execute(update(OutboxRow).where(OutboxRow.kind == "offer", OutboxRow.ticket_number == number)
                            .values(person_id=tech + "-not-the-assignee"))
        uow.commit()
    sender = Recorder()
    deliver_due(chat.desk, {"console": sender}, clock(), fallback="console")
    assert [m for m in sender.sent if m.ticket_number == number and m.kind in ("offer", "expired")] == []
    assert statuses(chat, number) == {"offer": "dropped", "expired": "dropped"}


class Faulty(Recorder):
    """A sender with a bug that shows on one kind of notice only."""

    def send(self, message: Outgoing) -> None:
        if message.kind == "expired":
            raise KeyError("media_id")
        super().send(message)


def test_a_notice_whose_sending_fails_unexpectedly_does_not_hold_up_the_rest_of_its_pass(
        chat: Chat, clock: FakeClock) -> None:
    number, tech = offer_and_its_timeout(chat, clock)
    sender = Faulty()
    deliver_due(chat.desk, {"console": sender}, clock(), fallback="console")
    assert [m.kind for m in sender.sent if m.ticket_number == number] == ["offer"]
    # The rest of the pass is recorded as sent; the failing one waits for a person, never sent twice.
    assert statuses(chat, number) == {"offer": "sent", "expired": "unsure"}
    assert deliver_due(chat.desk, {"console": sender}, clock(), fallback="console") == 0
