"""Messages from one person are handled one at a time and in order: a platform retry of an older
message never merges into, nor reopens, the report that came after it; 确认 makes one ticket."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bot.bootstrap import Desk
from handlers.base import Inbound
from handlers.router import handle_into_outbox
from storage.tables import TicketRow
from tests.conftest import FakeClock

OWNER = "wm-owner-0001"   # a 微信客服 external_userid


def say(desk: Desk, clock: FakeClock, text: str, msg_id: str, sent_at_ago: float = 0) -> str:
    sent = clock() - timedelta(seconds=sent_at_ago)
    inbound = Inbound("wecom_kf", OWNER, text, msg_id, phone="13800138000", sent_at=sent)
    return "\n".join(r.text for r in handle_into_outbox(desk, inbound))


def tickets(desk: Desk) -> list[str]:
    with desk.uow() as uow:
        return list(uow.session.scalars(select(TicketRow.description)))


def test_an_older_message_redelivered_during_a_newer_report_changes_nothing(desk: Desk, clock: FakeClock) -> None:
    # msg-1 was sent at 10:00:00 but its first delivery failed; the owner went on at 10:00:20
    clock.advance(seconds=20)
    say(desk, clock, "卫生间马桶一直漏水，翠湖花园3栋2单元501", "msg-2")
    clock.advance(seconds=10)
    late = say(desk, clock, "厨房水龙头坏了", "msg-1", sent_at_ago=30)   # WeCom's retry of msg-1
    assert "刚刚才送达" in late and "未再执行" in late
    clock.advance(seconds=5)
    out = say(desk, clock, "确认", "msg-3")
    assert "已创建" in out or "报修成功" in out or "工单" in out, out
    descriptions = tickets(desk)
    assert len(descriptions) == 1 and "马桶" in descriptions[0] and "水龙头" not in descriptions[0]
    clock.advance(seconds=5)
    again = say(desk, clock, "厨房水龙头坏了", "msg-1b", sent_at_ago=40)   # an even older one, after the ticket
    assert "未再执行" in again and len(tickets(desk)) == 1


def test_two_confirms_at_once_make_one_ticket(desk: Desk, clock: FakeClock) -> None:
    say(desk, clock, "卫生间马桶一直漏水，翠湖花园3栋2单元501", "m-1")
    clock.advance(seconds=10)
    barrier, outs = threading.Barrier(2), {}

    def confirm(msg_id: str) -> None:
        barrier.wait(timeout=30)
        outs[msg_id] = say(desk, clock, "确认", msg_id)

    threads = [threading.Thread(target=confirm, args=(m,)) for m in ("m-2", "m-2-tap-again")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outs) == 2
    with desk.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TicketRow)) == 1
