"""The console after a reply: a notice released in the same step never steals the reply's numbered
buttons, and an offer card that can no longer be taken is not delivered late."""
from __future__ import annotations

from sqlalchemy import update

from domain.model import Role
from domain.notices import Notice
from handlers.base import Inbound
from handlers.router import handle
from storage.tables import OutboxRow
from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_after_service import OWNER, resolved


def _hold(chat: Chat, **where: str) -> None:
    """As when the person's platform window was closed: kept until they write again."""
    with chat.desk.uow() as uow:
        uow.session.execute(update(OutboxRow).where(*(getattr(OutboxRow, k) == v for k, v in where.items()))
                            .values(status="held"))
        uow.commit()


def test_a_bare_number_answers_the_reply_not_a_held_notice_released_after_it(chat: Chat, clock: FakeClock) -> None:
    number, _ = resolved(chat)
    customer = str(chat.ticket(number).customer_id)
    with chat.desk.uow() as uow:
        uow.outbox.add(Notice(Role.OWNER, customer, "progress", f"工单 {number} 已完工，请确认是否修好：",
                              "test:held-confirm", number, (f"修好了 {number}", f"没修好 {number}")), clock())
        uow.commit()
    _hold(chat, key="test:held-confirm")
    out = chat(OWNER, "马桶漏水 翠湖花园3栋2单元502")
    assert out.index("请确认报修信息") < out.index("请确认是否修好")  # the held notice comes out now too
    assert "（回复「修好了」/「没修好」）" in out  # its buttons as words, not numbers
    out = chat(OWNER, "1")
    assert "报修成功" in out and "感谢确认" not in out
    assert chat.last_number() != number


def test_a_technician_who_writes_after_the_job_moved_on_gets_no_stale_offer_card(chat: Chat, clock: FakeClock) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    handle(chat.desk, Inbound("console", OWNER, "确认"))  # the offer is queued, not yet delivered
    number = chat.last_number()
    first = chat.ticket(number).assignee_id
    _hold(chat, kind="offer", person_id=first)
    clock.advance(hours=2)  # well past the offer timeout: the job goes to the next technician
    chat.tick()
    assert chat.ticket(number).assignee_id != first
    out = chat.to(f"technician:{first}", chat(f"technician:{first}", "接单"))
    assert "没有待接的工单" in out and len(out.splitlines()) == 1  # no late card, no timeout for it
