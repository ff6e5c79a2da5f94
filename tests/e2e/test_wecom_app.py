"""Staff on the WeCom app: greetings, photos, check-in by location, job cards that follow the job,
and the outbound client's rules (token refetched once, 30 a minute per member, byte limits)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.bootstrap import Desk
from bot.channels.wecom.cards import CUT_NOTE
from bot.channels.wecom.client import ApiError, WecomApi
from domain.notices import Notice
from domain.ticket import State
from scheduler.jobs import tick
from storage.tables import MediaRow, OutboxRow, TechnicianRow
from tests.conftest import FakeClock
from tests.e2e.test_wecom_flow import card_for, passive_reply, report_and_confirm, the_ticket, wecom_user
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401

TECH = "wangjianguo"   # T01 in the demo data


def texts_to(fake: FakeWecom, user: str) -> list[str]:
    return [m["body"]["text"]["content"] for m in fake.to(user) if m["msgtype"] == "text"]


def notify(desk: Desk, clock: FakeClock, person: str, text: str, key: str, role: str = "technician") -> None:
    with desk.uow() as uow:
        uow.outbox.add(Notice(role, person, "alert", text, key), clock())
        uow.commit()


def accepted_job(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> tuple[str, str]:
    report_and_confirm(wecom, fake)
    ticket = the_ticket(desk)
    user = wecom_user(desk, ticket.assignee_id or "")
    card = card_for(fake, user)
    wecom.click(user, card["task_id"], card["button_list"][0]["key"])
    return ticket.number, user


def test_entering_the_app_greets_each_role_with_its_menu(fake: FakeWecom, wecom: Callbacks) -> None:
    wecom.deliver("enter_agent", user=TECH)
    wecom.deliver("enter_agent", user="chenjing")
    assert "师傅指令" in texts_to(fake, TECH)[-1]
    assert texts_to(fake, "chenjing"), "the dispatcher got no greeting"


def test_a_voice_message_asks_for_text_or_a_photo(fake: FakeWecom, wecom: Callbacks) -> None:
    wecom.deliver("voice", user=TECH, media_id="v1", msg_id="123")
    wecom.deliver("voice", user=TECH, media_id="v1", msg_id="123")
    assert texts_to(fake, TECH) == ["暂时听不了语音，请用文字描述问题，或发一张照片。"]


def test_a_location_checks_a_technician_in_and_a_photo_is_fetched_after_the_answer(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    number, user = accepted_job(desk, fake, wecom)
    wecom.deliver("location", user=user, label="杭州市西湖区翠湖花园3栋", msg_id="501")
    assert the_ticket(desk).state == State.IN_PROGRESS
    fake.media["MEDIA_jpeg_1"] = b"\xff\xd8\xff\xe0 a small jpeg"
    wecom.deliver("image", user=user, media_id="MEDIA_jpeg_1", msg_id="502")
    assert "MEDIA_jpeg_1" in the_ticket(desk).photos
    with desk.uow() as uow:
        status, path = uow.session.execute(select(MediaRow.status, MediaRow.path)).one()
    assert status == "done" and Path(path).read_bytes() == fake.media["MEDIA_jpeg_1"]


def ticket_shown(desk: Desk, number: str) -> str:
    """What `baoxiu ticket show` prints."""
    from bot.views import ticket_text, ticket_view

    with desk.uow() as uow:
        ticket = uow.tickets.get(number)
        assert ticket is not None
        return ticket_text(ticket_view(uow, ticket, desk.rules, trail=True))


def test_a_technicians_location_is_the_check_in_with_label_and_coordinates(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    number, user = accepted_job(desk, fake, wecom)
    wecom.text(user, "出发")
    wecom.location(user, "杭州市西湖区翠湖花园3栋", x=30.27415, y=120.15515)
    assert the_ticket(desk).state == State.IN_PROGRESS
    assert texts_to(fake, user)[-1].startswith(f"已签到 {number}（杭州市西湖区翠湖花园3栋）")
    check_in = [line for line in ticket_shown(desk, number).splitlines() if " arrive " in line]
    assert len(check_in) == 1 and "杭州市西湖区翠湖花园3栋（30.274150, 120.155150）" in check_in[0]
    wecom.location(user, "翠湖花园3栋地下车库", x=30.2743, y=120.1549)   # already on site: a note
    assert "翠湖花园3栋地下车库（30.274300, 120.154900）" in ticket_shown(desk, number)
    assert texts_to(fake, user)[-1] == f"位置已记录到工单 {number}。"


def test_a_location_from_a_technician_without_a_job_changes_nothing(desk: Desk, fake: FakeWecom,
                                                                    wecom: Callbacks) -> None:
    wecom.location(TECH, "某小区门口")
    assert texts_to(fake, TECH) == ["收到位置，但您当前没有待上门的工单。"]


def media_row(desk: Desk) -> tuple[str, int]:
    with desk.uow() as uow:
        return tuple(uow.session.execute(select(MediaRow.status, MediaRow.attempts)).one())


def test_a_photo_download_holds_no_lock_and_a_failed_one_is_retried_with_backoff(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    number, user = accepted_job(desk, fake, wecom)
    wecom.text(user, "到达")
    fetchers, seen = wecom.outlets.fetchers, []
    original = fetchers["wecom"]

    def watching(ref: str) -> bytes:
        with desk.uow() as uow:   # another connection, while the download runs
            seen.append(uow.session.scalar(select(MediaRow.status)))
        assert original is not None
        return original(ref)

    monkeypatch.setitem(fetchers, "wecom", watching)  # type: ignore[arg-type]
    fake.media["MEDIA_jpeg_2"] = b"\xff\xd8\xff\xe0 another jpeg"
    fake.fail("/cgi-bin/media/get", "network", 45009)
    wecom.deliver("image", user=user, media_id="MEDIA_jpeg_2", msg_id="602")
    assert seen == ["fetching"], "the claim was not committed before the download"
    assert media_row(desk) == ("pending", 1)
    tick(desk, wecom.outlets, clock())
    assert len(seen) == 1, "tried again before the backoff was over"
    clock.advance(seconds=31)
    tick(desk, wecom.outlets, clock())
    assert media_row(desk) == ("pending", 2)
    clock.advance(seconds=61)
    tick(desk, wecom.outlets, clock())
    assert media_row(desk) == ("done", 2) and "MEDIA_jpeg_2" in the_ticket(desk).photos


def test_an_expired_offer_greys_out_its_card_and_the_next_technician_gets_one(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    first = wecom_user(desk, the_ticket(desk).assignee_id or "")
    card = card_for(fake, first)
    clock.advance(minutes=16)
    tick(desk, wecom.outlets, clock())
    assert {"task_id": card["task_id"], "userids": [first], "replace_name": "已超时"} in fake.updates
    assert "超时未接单" in texts_to(fake, first)[-1]
    second = wecom_user(desk, the_ticket(desk).assignee_id or "")
    assert second != first and card_for(fake, second)["task_id"] != card["task_id"]


def test_accepting_by_typing_also_greys_out_the_card(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    report_and_confirm(wecom, fake)
    user = wecom_user(desk, the_ticket(desk).assignee_id or "")
    card = card_for(fake, user)
    wecom.text(user, "接单")
    assert the_ticket(desk).state == State.ACCEPTED
    assert fake.updates == [{"task_id": card["task_id"], "userids": [user], "replace_name": "已接单"}]


def test_a_click_on_a_dead_offer_says_so_on_the_button(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                       clock: FakeClock) -> None:
    report_and_confirm(wecom, fake)
    user = wecom_user(desk, the_ticket(desk).assignee_id or "")
    card = card_for(fake, user)
    clock.advance(minutes=16)
    tick(desk, wecom.outlets, clock())
    answer = wecom.click(user, card["task_id"], card["button_list"][0]["key"])
    assert answer.status_code == 200
    assert passive_reply(answer.text)["Button"]["ReplaceName"] == "已失效"


def test_an_expired_token_is_fetched_again_once(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                clock: FakeClock) -> None:
    notify(desk, clock, "T01", "第一条通知", "token-1")
    tick(desk, wecom.outlets, clock())
    calls = fake.gettoken_calls
    fake.expire_tokens()
    notify(desk, clock, "T01", "第二条通知", "token-2")
    tick(desk, wecom.outlets, clock())
    assert fake.gettoken_calls == calls + 1
    assert texts_to(fake, TECH) == ["第一条通知", "第二条通知"]


def test_a_token_refused_again_after_a_refetch_fails_instead_of_looping(desk: Desk, fake: FakeWecom,
                                                                       wecom: Callbacks, clock: FakeClock) -> None:
    notify(desk, clock, "T01", "第一条通知", "token-1")
    tick(desk, wecom.outlets, clock())
    sends = lambda: len([p for p, _ in fake.requests if p == "/cgi-bin/message/send"])  # noqa: E731
    calls, before = fake.gettoken_calls, sends()
    fake.refuse_tokens = True
    notify(desk, clock, "T01", "第二条通知", "token-2")
    tick(desk, wecom.outlets, clock())
    assert fake.gettoken_calls == calls + 1 and sends() == before + 2
    assert texts_to(fake, TECH) == ["第一条通知"]


def test_a_wrong_secret_fails_at_once_and_the_outbox_keeps_the_notice(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    desk.settings.wecom.secret = "not-the-secret"
    notify(desk, clock, "T01", "一条通知", "secret-1")
    tick(desk, wecom.outlets, clock())
    assert fake.gettoken_calls == 1 and texts_to(fake, TECH) == []
    with desk.uow() as uow:
        status, attempts, error = uow.session.execute(
            select(OutboxRow.status, OutboxRow.attempts, OutboxRow.last_error)).one()
    assert (status, attempts) == ("pending", 1) and "40001" in error


def test_thirty_a_minute_per_member_are_paced_not_lost(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                       clock: FakeClock) -> None:
    for i in range(35):
        notify(desk, clock, "T01", f"第{i}条通知", f"pace-{i}")
    tick(desk, wecom.outlets, clock())
    assert len(fake.to(TECH)) == 30 and fake.dropped == []
    clock.advance(seconds=121)
    tick(desk, wecom.outlets, clock())
    assert len(fake.to(TECH)) == 35 and fake.dropped == []


def test_pacing_is_a_sliding_minute_not_two_clock_minutes(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                            clock: FakeClock) -> None:
    clock.advance(seconds=(59 - clock().timestamp() % 60) % 60)   # second 59 of a minute
    for i in range(30):
        notify(desk, clock, "T01", f"第{i}条", f"a-{i}")
    tick(desk, wecom.outlets, clock())
    clock.advance(seconds=2)                                        # second 01 of the next
    for i in range(10):
        notify(desk, clock, "T01", f"再{i}条", f"b-{i}")
    tick(desk, wecom.outlets, clock())
    assert len(fake.to(TECH)) == 30 and fake.dropped == []
    clock.advance(seconds=60)
    tick(desk, wecom.outlets, clock())
    assert len(fake.to(TECH)) == 40 and fake.dropped == []


def test_long_texts_are_cut_to_the_byte_limit_with_a_note(desk: Desk, fake: FakeWecom, wecom: Callbacks,
                                                          clock: FakeClock) -> None:
    notify(desk, clock, "T01", "漏水" * 1500, "long-1")
    tick(desk, wecom.outlets, clock())
    content = texts_to(fake, TECH)[-1]
    assert len(content.encode()) <= 2048 and content.endswith(CUT_NOTE)
    assert fake.violations == []


def test_uploads_follow_the_size_limits(desk: Desk, fake: FakeWecom, clock: FakeClock) -> None:
    from tests.fakes.wecom import enable

    enable(desk, fake)
    api = WecomApi(desk.settings.wecom, desk.store, clock)
    with pytest.raises(ApiError) as tiny:
        api.upload("app", "image", "a.jpg", b"12345", "image/jpeg")
    assert tiny.value.code == 40006
    media_id = api.upload("app", "image", "a.jpg", b"\xff\xd8" + b"x" * 100, "image/jpeg")
    assert fake.media[media_id].startswith(b"\xff\xd8") and api.media("app", media_id) == fake.media[media_id]
    api.close()


def test_an_upload_answered_without_a_media_id_is_a_platform_error_tried_again_later(desk: Desk,
                                                                                    clock: FakeClock) -> None:
    def platform(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/gettoken":
            return httpx.Response(200, json={"errcode": 0, "access_token": "t", "expires_in": 7200})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})   # success, but no media_id

    settings = desk.settings.wecom.model_copy(update={"corp_id": "ww1", "secret": "s",
                                                      "api_base_url": "http://wecom.test"})
    api = WecomApi(settings, desk.store, clock, http=httpx.Client(transport=httpx.MockTransport(platform),
                                                                  base_url="http://wecom.test"))
    with pytest.raises(ApiError) as e:
        api.upload("app", "image", "a.jpg", b"\xff\xd8" + b"x" * 100, "image/jpeg")
    assert e.value.retryable and "media_id" in str(e.value)
    api.close()


def test_in_grab_mode_every_card_shows_who_took_the_job(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    desk.rules = replace(desk.rules, dispatch_mode="grab")
    report_and_confirm(wecom, fake)
    holders = [m["to"] for m in fake.messages if m["msgtype"] == "template_card"]
    assert len(holders) >= 2
    winner, others = holders[0], holders[1:]
    card = card_for(fake, winner)
    answer = wecom.click(winner, card["task_id"], card["button_list"][0]["key"])
    assert passive_reply(answer.text)["Button"]["ReplaceName"] == "已接单"
    with desk.uow() as uow:
        who = uow.identities.staff_by_platform("wecom", winner)
        assert who is not None
        name = uow.session.scalars(select(TechnicianRow.name).where(TechnicianRow.id == who[1])).one()
    taken = {u["userids"][0]: u["replace_name"] for u in fake.updates}
    assert set(taken) == set(others) and set(taken.values()) == {f"已被{name}抢单"}
