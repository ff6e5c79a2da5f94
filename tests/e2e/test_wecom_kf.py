"""微信客服: pulling with sync_msg (cursor kept across restarts, empty pages with has_more), and
the 48-hour / 5-message window: a notice that cannot go is held, the dispatcher told, and it
goes when the owner writes again."""
from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.bootstrap import Desk
from bot.channels.wecom.client import ApiError, WecomApi
from bot.channels.wecom.state import KfWindow
from domain.notices import Notice
from scheduler.jobs import tick
from storage.kv_memory import MemoryStore
from storage.tables import CursorRow, InboundRow, MediaRow, OutboxRow
from tests.conftest import FakeClock
from tests.e2e.test_wecom_flow import OWNER, kf_text, report_and_confirm, the_ticket
from tests.fakes.wecom import OPEN_KFID, Callbacks, FakeWecom, enable, fake, wecom  # noqa: F401


def handled(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(InboundRow)) or 0


def cursor(desk: Desk) -> str:
    with desk.uow() as uow:
        row = uow.session.get(CursorRow, f"wecom_kf:{OPEN_KFID}")
        return row.value if row else ""


def sync_cursors(fake: FakeWecom) -> list[str | None]:
    return [body.get("cursor") for path, body in fake.requests if path == "/cgi-bin/kf/sync_msg"]


def tell_owner(desk: Desk, clock: FakeClock, key: str) -> None:
    ticket = the_ticket(desk)
    with desk.uow() as uow:
        uow.outbox.add(Notice("owner", str(ticket.customer_id), "progress", f"工单 {ticket.number} 进展 {key}",
                              key, ticket.number), clock())
        uow.commit()


def test_empty_pages_with_has_more_are_followed_and_the_cursor_saved_per_page(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    fake.page_size, fake.empty_pages = 1, 2
    for i in range(3):
        fake.customer_writes(f"wmCustomer{i}", "你好")
    wecom.kf_event()
    assert handled(desk) == 3 and cursor(desk) == "c3"
    assert sync_cursors(fake) == [None, "c0", "c0", "c1", "c2"]


def test_a_restart_resumes_from_the_saved_cursor(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    wecom.customer("wmCustomer1", "你好")
    with TestClient(create_app(desk)) as client:
        again = Callbacks(fake, client)
        again.customer("wmCustomer1", "进度")
    assert sync_cursors(fake)[-1] == "c1" and handled(desk) == 2


def test_system_events_and_servicer_messages_are_not_handled(desk: Desk, fake: FakeWecom,
                                                             wecom: Callbacks) -> None:
    fake.customer_writes("wmCustomer1", "客服说的话", origin=5)
    wecom.kf_event()
    assert handled(desk) == 0 and cursor(desk) == "c1"


def test_the_window_is_a_budget_minor_notices_wait_and_come_as_one_digest(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    sent = len(fake.kf_to(OWNER))
    for i in range(5):
        tell_owner(desk, clock, f"n{i}")
    tick(desk, wecom.outlets, clock())
    assert len(fake.kf_to(OWNER)) == sent + 2  # 报修成功 was the first of five; the last two are kept
    with desk.uow() as uow:
        held = list(uow.session.scalars(select(OutboxRow.last_error).where(OutboxRow.status == "held")))
    assert len(held) == 3 and all("预算" in why for why in held)  # what `outbox list` shows
    tick(desk, wecom.outlets, clock())  # the dispatchers' notice was queued by the first tick
    assert any("【通知未送达】" in m["body"]["text"]["content"] for m in fake.to("chenjing"))
    before = len(fake.kf_to(OWNER))
    wecom.customer(OWNER, "进度")
    digest = [kf_text(m) for m in fake.kf_to(OWNER)[before:] if "这段时间您的工单有以下进展" in kf_text(m)]
    assert len(digest) == 1 and all(f"进展 n{i}" in digest[0] for i in (2, 3, 4))


def test_after_48_hours_notices_are_held_until_the_owner_writes(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                                clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    clock.advance(hours=49)
    tell_owner(desk, clock, "late")
    tick(desk, wecom.outlets, clock())
    assert not any("进展 late" in kf_text(m) for m in fake.kf_to(OWNER))
    wecom.customer(OWNER, "在吗")
    assert any("进展 late" in kf_text(m) for m in fake.kf_to(OWNER))


def test_an_owners_photo_is_fetched_with_the_kf_token(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    fake.media["kfmedia_1"] = b"\xff\xd8 kitchen tap"
    wecom.customer(OWNER, media_id="kfmedia_1")
    assert "kf:kfmedia_1" in the_ticket(desk).photos
    with desk.uow() as uow:
        assert uow.session.scalar(select(MediaRow.status)) == "done"


def sync_bodies(fake: FakeWecom) -> list[dict[str, object]]:
    return [body for path, body in fake.requests if path == "/cgi-bin/kf/sync_msg"]


def test_a_failed_pull_is_retried_by_the_scheduler_with_backoff(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                                 clock: FakeClock) -> None:
    fake.fail("/cgi-bin/kf/sync_msg", 45009, "network")
    assert wecom.customer(OWNER, "你好，热水器坏了").status_code == 200
    assert handled(desk) == 0 and fake.kf_to(OWNER) == []
    tick(desk, wecom.outlets, clock())
    assert len(fake.faulted) == 1, "retried before its backoff"
    clock.advance(seconds=31)
    tick(desk, wecom.outlets, clock())      # the second failure: the network
    assert len(fake.faulted) == 2 and handled(desk) == 0
    clock.advance(seconds=61)
    tick(desk, wecom.outlets, clock())
    assert handled(desk) == 1 and cursor(desk) == "c1"
    assert fake.kf_to(OWNER), "the owner got no answer after the pull succeeded"
    clock.advance(minutes=30)
    tick(desk, wecom.outlets, clock())
    assert len(sync_bodies(fake)) == 1, "a finished pull was pulled again"


def test_a_retry_after_ten_minutes_pulls_without_the_expired_token(desk: Desk, fake: FakeWecom,
                                                                   wecom: Callbacks, clock: FakeClock) -> None:
    fake.fail("/cgi-bin/kf/sync_msg", "http 502")
    wecom.customer(OWNER, "你好")
    clock.advance(minutes=11)
    tick(desk, wecom.outlets, clock())
    assert handled(desk) == 1 and "token" not in sync_bodies(fake)[-1]


def test_a_token_the_platform_refuses_is_dropped_and_the_pull_retried(desk: Desk, fake: FakeWecom,
                                                                       wecom: Callbacks, clock: FakeClock) -> None:
    fake.fail("/cgi-bin/kf/sync_msg", 95007)
    wecom.customer(OWNER, "你好")
    assert handled(desk) == 0 and fake.faulted == [("/cgi-bin/kf/sync_msg", 95007)]
    clock.advance(seconds=31)
    tick(desk, wecom.outlets, clock())
    assert handled(desk) == 1 and "token" not in sync_bodies(fake)[-1]


def test_the_fake_refuses_an_event_token_after_ten_minutes(desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    enable(desk, fake)
    api = WecomApi(desk.settings.wecom, desk.store, clock)
    fake.kf_tokens["tok"] = fake.now()
    body = {"token": "tok", "open_kfid": OPEN_KFID, "limit": 10}
    assert api.post("kf", "/cgi-bin/kf/sync_msg", body)["errcode"] == 0
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(ApiError) as refused:
        api.post("kf", "/cgi-bin/kf/sync_msg", body)
    assert refused.value.code == 95007
    api.close()


def test_the_kf_window_opens_with_each_customer_message_and_not_with_a_replay(desk: Desk, clock: FakeClock) -> None:
    window = KfWindow(desk.uow, clock)
    at = int(clock().timestamp())
    assert window.closed_because("wm1") is not None
    window.customer_wrote("wm1", "wk1", at, "m1")
    for _ in range(5):
        assert window.closed_because("wm1") is None
        window.sent("wm1")
    assert window.closed_because("wm1") == "客户回复前最多发送5条"
    window.customer_wrote("wm1", "wk1", at, "m1")      # the same message pulled again
    assert window.closed_because("wm1") == "客户回复前最多发送5条"
    window.customer_wrote("wm1", "wk1", at - 60, "m0")  # an older one, seen late
    assert window.closed_because("wm1") == "客户回复前最多发送5条"
    window.customer_wrote("wm1", "wk1", at, "m2")
    assert window.closed_because("wm1") is None and window.account("wm1") == "wk1"
    clock.advance(hours=49)
    assert window.closed_because("wm1") == "客户超过48小时未留言"


def test_a_restart_with_a_fresh_store_remembers_the_kf_window(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                              clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    clock.advance(hours=1)
    restarted = replace(desk, store=MemoryStore())   # a new process: the database is all it shares
    with TestClient(create_app(restarted)) as client:
        tell_owner(restarted, clock, "after-restart")
        tick(restarted, client.app.state.edges.outlets, clock())
    assert any("进展 after-restart" in kf_text(m) for m in fake.kf_to(OWNER))
    with desk.uow() as uow:
        assert uow.session.scalar(select(func.count()).where(OutboxRow.status == "held")) == 0
    assert not any("【通知未送达】" in m["body"]["text"]["content"] for m in fake.to("chenjing"))


def outbox_row(desk: Desk, key: str) -> tuple[str, int, str]:
    with desk.uow() as uow:
        return tuple(uow.session.execute(select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error)
                                   .where(OutboxRow.key == key)).one())


def test_a_configuration_error_fails_by_name_instead_of_waiting_for_the_owner(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    report_and_confirm(wecom, fake)
    fake.fail("/cgi-bin/kf/send_msg", 95000)
    tell_owner(desk, clock, "k1")
    tick(desk, wecom.outlets, clock())
    status, attempts, error = outbox_row(desk, "k1")
    assert (status, attempts) == ("dead", 1) and "invalid open_kfid" in error
    assert "95000 invalid open_kfid: check [wecom].kf_open_kfid" in caplog.text
    tick(desk, wecom.outlets, clock())
    assert not any("【通知未送达】" in m["body"]["text"]["content"] for m in fake.to("chenjing"))


def test_a_closed_session_holds_the_notice_until_the_owner_writes(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                                  clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    fake.fail("/cgi-bin/kf/send_msg", 95018)
    tell_owner(desk, clock, "k2")
    tick(desk, wecom.outlets, clock())
    assert outbox_row(desk, "k2")[0] == "held"
    wecom.customer(OWNER, "在吗")
    assert any("进展 k2" in kf_text(m) for m in fake.kf_to(OWNER))


PLACE = {"latitude": 30.2741, "longitude": 120.1551, "name": "翠湖花园3栋2单元501", "address": "杭州市西湖区文三路"}


def test_an_owners_location_answers_the_address_question(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    wecom.customer(OWNER, "厨房水龙头漏水了，电话13800138000")
    assert "地址" in kf_text(fake.kf_to(OWNER)[-1])
    wecom.customer(OWNER, location=PLACE)
    summary = kf_text(fake.kf_to(OWNER)[-1])
    assert "请确认报修信息" in summary and "翠湖花园" in summary and "3栋" in summary


def test_an_owners_location_is_recorded_on_the_open_ticket(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    from tests.e2e.test_wecom_app import ticket_shown

    report_and_confirm(wecom, fake)
    wecom.customer(OWNER, location=PLACE)
    number = the_ticket(desk).number
    assert kf_text(fake.kf_to(OWNER)[-1]) == f"位置已记录到工单 {number}，师傅上门时会参考。"
    assert "翠湖花园3栋2单元501 杭州市西湖区文三路（30.274100, 120.155100）" in ticket_shown(desk, number)


def test_a_held_reply_goes_when_the_owner_writes_again(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    fake.fail("/cgi-bin/kf/send_msg", 95018)
    wecom.customer(OWNER, "进度")
    with desk.uow() as uow:
        held = uow.session.execute(select(OutboxRow.role, OutboxRow.text).where(OutboxRow.status == "held")).one()
    assert held.role == "reply" and the_ticket(desk).number in held.text
    wecom.customer(OWNER, "在吗")
    assert any(kf_text(m) == held.text for m in fake.kf_to(OWNER)), "the held reply never went out"
