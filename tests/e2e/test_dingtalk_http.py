"""DingTalk in HTTP callback mode, end to end: signed callbacks in, the fake's API out."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from bot.app import create_app
from bot.bootstrap import Desk
from domain.ticket import State, Ticket
from scheduler.jobs import tick
from storage.tables import MediaRow, OutboxRow, TechnicianRow, TicketEventRow, TicketRow
from tests.conftest import FakeClock
from tests.fakes.dingtalk import ROBOT_MENTION, FakeDingtalk, Sent

GROUP = "cidBaoxiuDesk0001+/=="       # real conversation ids are base64: '+', '/' and '=' included
DESK, MANAGER = "053612200117", "053612200589"
IN_GROUP = "group:" + GROUP


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeDingtalk]:
    f = FakeDingtalk(clock)
    yield f
    f.stop()


@pytest.fixture
def client(desk: Desk, fake: FakeDingtalk) -> Iterator[TestClient]:
    fake.configure(desk.settings.dingtalk, mode="http")
    with TestClient(create_app(desk)) as c:
        yield c


def post(client: TestClient, fake: FakeDingtalk, body: dict[str, Any] | None) -> Response:
    assert body is not None, "DingTalk would not call the robot for this"
    response = client.post("/dingtalk/robot", json=body, headers=fake.headers())
    assert response.status_code == 200, response.text
    return response


def say(client: TestClient, fake: FakeDingtalk, text: str, sender: str = DESK,
        group: str | None = GROUP) -> dict[str, Any]:
    body = fake.message(text, sender=sender, group=group)
    post(client, fake, body)
    return body


def file_for_a_caller(client: TestClient, fake: FakeDingtalk) -> str:
    for text in ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", "13912345678", "确认"):
        say(client, fake, text)
    return ticket_row(client.app.state.desk).number  # type: ignore[attr-defined]


def ticket_row(desk: Desk) -> Ticket:
    """The newest ticket."""
    with desk.uow() as uow:
        number = uow.session.scalars(select(TicketRow.number).order_by(TicketRow.id.desc())).first()
        ticket = uow.tickets.get(number or "")
        assert ticket is not None
        return ticket


def userid_of(desk: Desk, tech_id: str) -> str:
    with desk.uow() as uow:
        ids = uow.identities.platform_ids("dingtalk", "technician", tech_id)
        assert len(ids) == 1
        return ids[0]


def counts(desk: Desk) -> tuple[int, int]:
    with desk.uow() as uow:
        return (uow.session.scalar(select(func.count(OutboxRow.id))) or 0,
                uow.session.scalar(select(func.count(TicketEventRow.id))) or 0)


def offer_for(fake: FakeDingtalk, userid: str) -> Sent:
    offers = [s for s in fake.to(userid) if s.kind == "actionCard"]
    assert offers, fake.to(userid)
    return offers[-1]


def test_a_fault_filed_in_a_group_goes_to_the_technician_and_the_figures(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    number = file_for_a_caller(client, fake)
    group = [s.text for s in fake.to(IN_GROUP)]
    assert any(t.startswith(f"已代客创建工单 {number}") for t in group)
    assert any(t.startswith(f"【业主通知】您的报修已受理，工单号 {number}") for t in group)
    assert all(s.via == "webhook" for s in fake.to(IN_GROUP))

    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    card = offer_for(fake, tech)
    assert card.via == "batch" and number in card.text     # never wrote to the robot: no webhook yet
    assert [t for t, _ in card.buttons] == ["接单", "拒单"]

    clock.advance(minutes=20)
    tap = fake.tap(card, "接单")
    post(client, fake, tap)
    assert ticket_row(desk).state is State.ACCEPTED
    assert fake.to(tech)[-1].text.startswith(f"已接单 {number}") and fake.to(tech)[-1].via == "webhook"
    assert any(s.text.startswith(f"【业主通知】工单 {number}：") and "已接单" in s.text for s in fake.to(IN_GROUP))

    before, sent = counts(desk), len(fake.sent)
    post(client, fake, tap)                                 # DingTalk delivers the same callback again
    assert counts(desk) == before and len(fake.sent) == sent

    say(client, fake, "到达", sender=tech, group=None)
    clock.advance(hours=1)
    say(client, fake, "完工 更换进水阀", sender=tech, group=None)
    assert ticket_row(desk).state is State.RESOLVED
    resolved = [s for s in fake.to(IN_GROUP) if "师傅已完工" in s.text][-1]
    assert resolved.kind == "text" and not resolved.buttons   # nobody in the group can confirm for the caller

    say(client, fake, "今日统计", sender=MANAGER)
    figures = fake.to(IN_GROUP)[-1].text
    assert "新建 1" in figures and "平均接单用时 20分钟" in figures and "平均解决用时 1小时20分" in figures


def test_replies_fall_back_to_the_api_once_the_session_webhook_expires(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "待派单")
    assert fake.to(IN_GROUP)[-1].via == "webhook"
    clock.advance(hours=2)                                  # the doc's webhooks live 90 minutes
    body = fake.message("待派单", sender=DESK, group=GROUP, webhook_minutes=1)
    post(client, fake, body)
    assert fake.to(IN_GROUP)[-1].via == "group" and "没有待派单" in fake.to(IN_GROUP)[-1].text


def test_a_webhook_refused_early_is_dropped_and_the_api_used(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "帮助", sender=MANAGER, group=None)
    (session,) = fake.sessions
    fake.sessions[session] = (MANAGER, clock())           # DingTalk ends it before its stated expiry
    post(client, fake, fake.message("帮助", sender=MANAGER, session=session))
    vias = [s.via for s in fake.to(MANAGER)]
    assert vias == ["webhook", "batch"]


def test_a_flow_controlled_offer_is_retried_by_the_outbox_not_dropped(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    with desk.uow() as uow:
        techs = [i for r in uow.session.scalars(select(TechnicianRow.id))
                 for i in uow.identities.platform_ids("dingtalk", "technician", r)]
    fake.flow_control.update(techs)
    number = file_for_a_caller(client, fake)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    assert not fake.to(tech)
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "offer")).one()
        # Pacing, not a failure: no attempt spent, the next try a minute on.
        assert row.status == "pending" and row.attempts == 0 and row.due_at == clock() + timedelta(minutes=1)
    for _ in range(12):                                     # more than the 8 attempts a failure gets
        fake.flow_control.add(tech)
        clock.advance(minutes=1)
        tick(desk, client.app.state.edges.outlets, clock())
        assert not fake.to(tech)
    clock.advance(minutes=1)
    tick(desk, client.app.state.edges.outlets, clock())
    assert number in offer_for(fake, tech).text
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "offer")).one()
        assert row.status == "sent" and row.attempts == 1


def test_a_flow_controlled_group_waits_and_then_gets_its_reply(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "待派单")
    clock.advance(hours=2)                                  # the webhook is gone: replies use the API
    fake.flow_control_groups.add(GROUP)
    post(client, fake, fake.message("待派单", sender=DESK, group=GROUP, webhook_minutes=1))
    assert len(fake.to(IN_GROUP)) == 1
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc())).first()
        assert row is not None and row.status == "pending" and row.attempts == 0
    clock.advance(minutes=1)
    tick(desk, client.app.state.edges.outlets, clock())
    assert fake.to(IN_GROUP)[-1].via == "group" and "没有待派单" in fake.to(IN_GROUP)[-1].text


def test_the_token_is_cached_refreshed_early_and_refetched_once_when_refused(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    say(client, fake, "帮助", sender=MANAGER, group=None)
    clock.advance(hours=2)                                  # webhook gone: every reply uses the API
    for _ in range(3):
        post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    assert fake.token_fetches == 1
    clock.advance(minutes=116)                              # 4 minutes left: fetched before it runs out
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    assert fake.token_fetches == 2
    fake.expire_tokens()                                    # invalidated early by DingTalk
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    assert fake.token_fetches == 3 and fake.to(MANAGER)[-1].via == "batch"
    assert len(fake.to(MANAGER)) == 6


def test_a_token_that_is_always_refused_fails_after_one_refetch(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fake, "tokens", _Forgetful())
    post(client, fake, fake.message("帮助", sender=MANAGER, webhook_minutes=1))
    assert fake.token_fetches == 2 and not fake.to(MANAGER)
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "reply")).one()
        assert row.status == "pending" and "401" in row.last_error


class _Forgetful(dict):  # type: ignore[type-arg]
    """A token store that loses every token: DingTalk refusing whatever we fetch."""

    def __setitem__(self, key: object, value: object) -> None:
        pass


def test_a_photo_is_downloaded_off_the_callback_path_and_attached(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock, tmp_path: Path) -> None:
    desk.settings.service.media_dir = str(tmp_path / "media")
    file_for_a_caller(client, fake)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    post(client, fake, fake.tap(offer_for(fake, tech), "接单"))
    say(client, fake, "到达", sender=tech, group=None)
    fake.files["dlc-photo-1"] = b"\xff\xd8\xff fake jpeg"
    post(client, fake, fake.message(sender=tech, picture="dlc-photo-1"))
    assert "dlc-photo-1" in ticket_row(desk).photos
    assert not any(p == "/v1.0/robot/messageFiles/download" for _, p, _ in fake.requests)
    tick(desk, client.app.state.edges.outlets, clock())
    with desk.uow() as uow:
        media = uow.session.scalars(select(MediaRow)).one()
        assert media.status == "done" and Path(media.path).read_bytes() == b"\xff\xd8\xff fake jpeg"
        assert Path(media.path).is_relative_to(tmp_path)


def test_rich_text_is_read_as_its_text_then_its_pictures(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    file_for_a_caller(client, fake)
    tech = userid_of(desk, ticket_row(desk).assignee_id or "")
    post(client, fake, fake.tap(offer_for(fake, tech), "接单"))
    say(client, fake, "到达", sender=tech, group=None)
    post(client, fake, fake.message(sender=tech, rich=[{"text": "现场照片"}, {"downloadCode": "dlc-r1"}]))
    assert "dlc-r1" in ticket_row(desk).photos
    assert fake.to(tech)[-1].text.startswith("照片已添加到工单")


def test_choices_in_a_group_are_written_as_replies_that_at_the_robot(
        desk: Desk, fake: FakeDingtalk, client: TestClient, clock: FakeClock) -> None:
    for text in ("代客报修", "卫生间马桶水箱一直漏水", "滨江壹号 5栋1单元1202", "13912345678"):
        say(client, fake, text)
    form = fake.to(IN_GROUP)[-1]
    assert form.kind == "text" and not form.buttons          # a button link would post without the @
    assert "@机器人 确认" in form.text and "@机器人 取消" in form.text
    say(client, fake, "确认")                                 # "@报修机器人 确认", the @ stripped by DingTalk
    assert ticket_row(desk).state is State.ASSIGNED


def test_a_button_link_pressed_in_a_group_never_reaches_the_robot(fake: FakeDingtalk) -> None:
    link = "dtmd://dingtalkclient/sendMessage?content="
    card = Sent("webhook", IN_GROUP, "actionCard", "请确认",
                [("确认", link + quote("确认")), ("at", link + quote(f"{ROBOT_MENTION} 确认"))])
    assert fake.tap(card, "确认", by=DESK) is None             # plain group text: DingTalk stays silent
    mentioned = fake.tap(card, "at", by=DESK)                  # only an @ of the robot calls it
    assert mentioned is not None and mentioned["text"]["content"].strip() == "确认"
    single = Sent("batch", DESK, "actionCard", "请确认", [("确认", link + quote("确认"))])
    assert fake.tap(single, "确认") is not None
