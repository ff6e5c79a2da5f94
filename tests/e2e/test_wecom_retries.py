"""Retries never lose a message and never duplicate one: a handling that fails leaves no dedup
mark (WeCom's retry is handled afresh), and a message handled once stays handled across a
restart with a fresh key-value store and across two processes sharing one database."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from bot.app import create_app
from bot.bootstrap import Desk, bootstrap
from domain.notices import Notice
from domain.ticket import State
from storage import outbox
from storage.kv import Keys
from storage.kv_memory import MemoryStore
from storage.tables import CursorRow, InboundRow, TicketRow
from tests.conftest import FakeClock
from tests.e2e.test_wecom_flow import (OWNER, card_for, counts, kf_text, report_and_confirm, the_ticket,
                                       wecom_user)
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401


def tickets(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(TicketRow)) or 0


def handled_messages(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(InboundRow)) or 0


def texts_to(fake: FakeWecom, user: str) -> list[str]:
    return [m["body"]["text"]["content"] for m in fake.to(user) if m["msgtype"] == "text"]


@pytest.fixture
def outbox_blip(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """The next outbox write fails once, as a database that drops a connection would: a notice
    queued, or a reply kept as given in the callback's answer."""
    state = {"armed": 0, "failed": 0, "replies_only": 0}

    def flaky(original: Callable[[outbox.SqlOutbox, Notice, datetime], None]) -> Callable[..., None]:
        def write(self: outbox.SqlOutbox, notice: Notice, now: datetime) -> None:
            if state["armed"] and (notice.kind == "reply" or not state["replies_only"]):
                state["armed"], state["failed"] = 0, state["failed"] + 1
                raise OperationalError("INSERT INTO outbox", {}, Exception("server closed the connection"))
            original(self, notice, now)
        return write

    monkeypatch.setattr(outbox.SqlOutbox, "add", flaky(outbox.SqlOutbox.add))
    monkeypatch.setattr(outbox.SqlOutbox, "add_answered", flaky(outbox.SqlOutbox.add_answered))
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


def test_a_kf_page_pulled_again_handles_nothing_twice_even_with_a_fresh_store(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    before = counts(desk, fake)
    with desk.uow() as uow:
        uow.session.execute(delete(CursorRow))   # the cursor lost: sync_msg starts from the beginning
        uow.commit()
    restarted = replace(desk, store=MemoryStore())
    with TestClient(create_app(restarted)) as client:
        Callbacks(fake, client).kf_event()
    assert [body.get("cursor") for path, body in fake.requests if path == "/cgi-bin/kf/sync_msg"][-1] is None
    assert counts(desk, fake) == before and tickets(desk) == 1


def test_a_restart_with_a_fresh_store_still_drops_every_retry(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    tech = wecom_user(desk, the_ticket(desk).assignee_id or "")
    card = card_for(fake, tech)
    wecom.click(tech, card["task_id"], card["button_list"][0]["key"])
    wecom.text(tech, "到达")
    before = counts(desk, fake)
    restarted = replace(desk, store=MemoryStore())   # nothing remembered but the database
    with TestClient(create_app(restarted)) as client:
        again = Callbacks(fake, client)
        answers = [again.post(q, b, retries=0, keep=False).status_code for q, b in wecom.sent]
    assert set(answers) == {200} and counts(desk, fake) == before


def test_two_instances_receiving_the_same_callback_make_one_ticket(desk: Desk, fake: FakeWecom,
                                                                   wecom: Callbacks, clock: FakeClock) -> None:
    from tests.fakes.wecom import Callbacks as Side

    wecom.text("zhaoyezhu", "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000")
    other = bootstrap(desk.settings, clock=clock, store=MemoryStore())   # another process: its own store
    # A shared Redis would hold the report's draft for both; the dedup stores stay apart.
    draft = Keys.dialog("wecom", "zhaoyezhu")
    other.store.set(draft, desk.store.get(draft) or "")
    query, body = wecom.seal(CONFIRM.format(time=int(fake.now()), msg_id=fake.next_id("4563")))
    try:
        with TestClient(create_app(other)) as second:
            sides, barrier = [wecom, Side(fake, second)], threading.Barrier(2)

            def deliver(side: Callbacks) -> None:
                barrier.wait(timeout=10)
                side.post(query, body, retries=0)

            threads = [threading.Thread(target=deliver, args=(s,)) for s in sides]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
        assert tickets(desk) == 1
        assert sum("报修成功" in t for t in texts_to(fake, "zhaoyezhu")) == 1
        assert len([m for m in fake.messages if m["msgtype"] == "template_card" and m["to"] != "zhaoyezhu"]) == 1
    finally:
        other.close()


CONFIRM = ("<xml><ToUserName><![CDATA[wwfa4e0c0rp1d0001]]></ToUserName><FromUserName><![CDATA[zhaoyezhu]]>"
           "</FromUserName><CreateTime>{time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[确认]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>")


def test_a_refused_command_stays_handled_once_when_wecom_retries_it(desk: Desk, fake: FakeWecom,
                                                                    wecom: Callbacks) -> None:
    """A refusal undoes the handler's writes, never the message's record: retried after a restart
    with nothing remembered but the database, the refused command is neither handled nor answered
    a second time."""
    report_and_confirm(wecom, fake)
    ticket = the_ticket(desk)
    other = next(t for t in ("T01", "T02", "T03") if t != ticket.assignee_id)
    user = wecom_user(desk, other)
    since, recorded = len(wecom.sent), handled_messages(desk)
    wecom.text(user, "接单")   # nothing is offered to them: refused
    refusals = texts_to(fake, user)
    assert len(refusals) == 1 and "没有待接的工单" in refusals[0]
    assert handled_messages(desk) == recorded + 1
    before = counts(desk, fake)
    restarted = replace(desk, store=MemoryStore())
    with TestClient(create_app(restarted)) as client:
        again = Callbacks(fake, client)
        answers = [again.post(q, b, retries=0, keep=False).status_code for q, b in wecom.sent[since:]]
    assert set(answers) == {200} and counts(desk, fake) == before and texts_to(fake, user) == refusals
    assert handled_messages(desk) == recorded + 1
