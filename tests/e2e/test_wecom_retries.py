"""Retries never lose a message and never duplicate one: a handling that fails leaves no dedup
mark (WeCom's retry is handled afresh), and a message handled once stays handled across a
restart with a fresh key-value store and across two processes sharing one database."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.bootstrap import Desk
from domain.notices import Notice
from domain.ticket import State
from storage import repositories
from storage.tables import TicketRow
from tests.e2e.test_wecom_flow import OWNER, kf_text, last_kf, report_and_confirm, the_ticket, wecom_user
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401


def tickets(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(TicketRow)) or 0


def texts_to(fake: FakeWecom, user: str) -> list[str]:
    return [m["body"]["text"]["content"] for m in fake.to(user) if m["msgtype"] == "text"]


@pytest.fixture
def outbox_blip(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """The next outbox write fails once, as a database that drops a connection would."""
    original, state = repositories.SqlOutbox.add, {"armed": 0, "failed": 0, "replies_only": 0}

    def flaky(self: repositories.SqlOutbox, notice: Notice, now: object) -> None:
        if state["armed"] and (notice.kind == "reply" or not state["replies_only"]):
            state["armed"], state["failed"] = 0, state["failed"] + 1
            raise OperationalError("INSERT INTO outbox", {}, Exception("server closed the connection"))
        original(self, notice, now)  # type: ignore[arg-type]

    monkeypatch.setattr(repositories.SqlOutbox, "add", flaky)
    yield state


def test_an_outbox_failure_after_the_dedup_row_is_retried_not_lost(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, outbox_blip: dict[str, int]) -> None:
    report_and_confirm(wecom, fake)
    tech = wecom_user(desk, the_ticket(desk).assignee_id or "")
    attempts = wecom.attempts
    outbox_blip["armed"] = 1
    assert wecom.text(tech, "接单").status_code == 200
    assert outbox_blip["failed"] == 1 and wecom.attempts == attempts + 2  # WeCom tried again
    assert the_ticket(desk).state == State.ACCEPTED and tickets(desk) == 1
    assert [t for t in texts_to(fake, tech) if t.startswith("已接单")] == [texts_to(fake, tech)[-1]]
    assert sum("已接单" in kf_text(m) for m in fake.kf_to(OWNER)) == 1


def test_a_reply_that_cannot_be_queued_is_retried_by_wecom(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, outbox_blip: dict[str, int]) -> None:
    outbox_blip["armed"] = 1
    assert wecom.text("wangjianguo", "帮助").status_code == 200
    assert outbox_blip["failed"] == 1 and wecom.attempts == 2
    assert len(texts_to(fake, "wangjianguo")) == 1 and "师傅指令" in texts_to(fake, "wangjianguo")[0]


def test_a_report_confirmed_while_the_database_blips_makes_one_ticket(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, outbox_blip: dict[str, int]) -> None:
    wecom.text("zhaoyezhu", "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000")
    outbox_blip["armed"] = 1
    wecom.text("zhaoyezhu", "确认")
    assert outbox_blip["failed"] == 1 and tickets(desk) == 1
    assert sum("报修成功" in t for t in texts_to(fake, "zhaoyezhu")) == 1
    offers = [m for m in fake.messages if m["msgtype"] == "template_card" and m["to"] != "zhaoyezhu"]
    assert len(offers) == 1 and "接单" in offers[0]["body"]["template_card"]["button_list"][0]["key"]


def test_a_reply_lost_after_the_ticket_was_made_does_not_lose_the_report(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, outbox_blip: dict[str, int]) -> None:
    wecom.text("zhaoyezhu", "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000")
    outbox_blip["armed"] = outbox_blip["replies_only"] = 1   # the ticket and its offer are written; the reply fails
    wecom.text("zhaoyezhu", "确认")
    assert outbox_blip["failed"] == 1 and tickets(desk) == 1, "the retry found the report's draft gone"
    assert sum("报修成功" in t for t in texts_to(fake, "zhaoyezhu")) == 1
