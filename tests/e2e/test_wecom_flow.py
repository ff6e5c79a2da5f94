"""The whole repair through WeCom's real wire formats: an owner on 微信客服, a technician on the app.

Everything goes through HTTP: encrypted callbacks into /wecom/callback, and our client's
calls to the fake's API. Deliveries happen in the callback's background task, so no tick is
needed; the clock never moves unless a test moves it.
"""
from __future__ import annotations

from typing import Any

import xmltodict
from sqlalchemy import func, select
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.bootstrap import Desk
from domain.ticket import State, Ticket
from scheduler.jobs import tick
from storage.tables import OutboxRow, TechnicianRow, TicketEventRow, TicketRow
from tests.conftest import FakeClock
from tests.fakes.wecom import AES_KEY, CORP_ID, TOKEN, Callbacks, FakeWecom, fake, wecom  # noqa: F401

OWNER = "wmOwnerKf0001"
REPORT = "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000"


def last_kf(fake: FakeWecom, user: str = OWNER) -> dict[str, Any]:
    return fake.kf_to(user)[-1]


def kf_text(message: dict[str, Any]) -> str:
    if message["msgtype"] == "msgmenu":
        return str(message["msgmenu"]["head_content"])
    return str(message["text"]["content"])


def menu_ids(message: dict[str, Any]) -> list[str]:
    return [item["click"]["id"] for item in message["msgmenu"]["list"]]


def the_ticket(desk: Desk) -> Ticket:
    with desk.uow() as uow:
        number = uow.session.scalars(select(TicketRow.number)).one()
        ticket = uow.tickets.get(number)
        assert ticket is not None
        return ticket


def wecom_user(desk: Desk, tech_id: str) -> str:
    with desk.uow() as uow:
        ids = uow.identities.platform_ids("wecom", "technician", tech_id)
        assert len(ids) == 1
        return ids[0]


def card_for(fake: FakeWecom, user: str) -> dict[str, Any]:
    cards = [m["body"]["template_card"] for m in fake.to(user) if m["msgtype"] == "template_card"]
    assert cards, f"no card reached {user}"
    return cards[-1]  # type: ignore[no-any-return]


def passive_reply(text: str) -> dict[str, Any]:
    envelope = xmltodict.parse(text)["xml"]
    plain = WeChatCrypto(TOKEN, AES_KEY, CORP_ID).decrypt_message(
        text, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    return xmltodict.parse(plain)["xml"]  # type: ignore[no-any-return]


def counts(desk: Desk, fake: FakeWecom) -> tuple[int, ...]:
    with desk.uow() as uow:
        rows = [uow.session.scalar(select(func.count()).select_from(t)) or 0
                for t in (TicketRow, TicketEventRow, OutboxRow)]
    return (*rows, len(fake.messages), len(fake.kf_sent), len(fake.updates))


def report_and_confirm(wecom: Callbacks, fake: FakeWecom) -> None:
    assert wecom.customer(OWNER, REPORT).status_code == 200
    summary = last_kf(fake)
    assert summary["msgtype"] == "msgmenu" and "请确认报修信息" in kf_text(summary)
    assert menu_ids(summary) == ["确认", "修改", "取消"]
    wecom.customer(OWNER, "确认", menu_id="确认")
    assert "报修成功" in kf_text(last_kf(fake))


def test_an_owner_on_kf_gets_a_repair_done_and_rated_through_clicks(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    ticket = the_ticket(desk)
    tech = wecom_user(desk, ticket.assignee_id or "")
    card = card_for(fake, tech)
    keys = [b["key"] for b in card["button_list"]]
    assert keys == [f"接单 {ticket.number}", f"拒单 {ticket.number}"]
    assert [b["text"] for b in card["button_list"]] == ["接单", "拒单"]
    assert ticket.number in card["main_title"]["title"]
    assert {"产品", "地址"} <= {row["keyname"] for row in card["horizontal_content_list"]}

    answer = wecom.click(tech, card["task_id"], keys[0])
    reply = passive_reply(answer.text)
    assert (reply["MsgType"], reply["Button"]["ReplaceName"]) == ("update_button", "已接单")
    assert the_ticket(desk).state == State.ACCEPTED
    assert "已接单" in kf_text(last_kf(fake))

    wecom.text(tech, "到达")
    wecom.text(tech, "完工 更换阀芯 配件:阀芯x1")
    resolved = last_kf(fake)
    assert "已完工" in kf_text(resolved) and menu_ids(resolved) == ["修好了", "没修好"]

    wecom.customer(OWNER, "修好了", menu_id="修好了")
    before = counts(desk, fake)
    assert set(wecom.replay(times=3)) == {200}  # retries come within seconds, inside the time window
    assert counts(desk, fake) == before
    later = len(wecom.sent)
    clock.advance(minutes=10)  # the survey waits a little after the confirmation
    tick(desk, wecom.outlets, clock())
    survey = last_kf(fake)
    assert menu_ids(survey) == ["5", "4", "3", "2", "1"]
    assert [i["click"]["content"] for i in survey["msgmenu"]["list"]][0] == "5 星"
    wecom.customer(OWNER, "5 星", menu_id="5")
    done = the_ticket(desk)
    assert (done.state, done.rating) == (State.CLOSED, 5)
    assert "感谢您的评价" in kf_text(last_kf(fake))
    assert fake.violations == [] and fake.dropped == []

    before = counts(desk, fake)
    assert set(wecom.replay(times=3, since=later)) == {200}
    assert counts(desk, fake) == before


def test_a_retried_message_makes_one_ticket_and_one_offer(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    before = counts(desk, fake)
    wecom.replay(times=3)
    assert counts(desk, fake) == before
    ticket = the_ticket(desk)
    offers = [m for m in fake.to(wecom_user(desk, ticket.assignee_id or "")) if m["msgtype"] == "template_card"]
    assert len(offers) == 1
