"""A member's message on the WeCom app is answered in its callback's own answer (a passive reply)
when that is the whole answer: one reply, no buttons, the platform still waiting. A retried
callback is answered the same; anything else goes through the send API, as every reply did before."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.bootstrap import Desk
from handlers import router
from storage.tables import OutboxRow
from tests.conftest import FakeClock
from tests.e2e.test_wecom_flow import passive_reply
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401  (fixtures)

OWNER = "zhaoyezhu"
REPORT = "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000"


def replies(desk: Desk) -> list[tuple[str, list[str]]]:
    with desk.uow() as uow:
        return [(status, list(buttons)) for status, buttons in uow.session.execute(
            select(OutboxRow.status, OutboxRow.buttons).where(OutboxRow.kind == "reply").order_by(OutboxRow.id))]


def api_sends(fake: FakeWecom) -> int:
    return len([p for p, _ in fake.requests if p == "/cgi-bin/message/send"])


def test_a_retried_callback_is_answered_with_the_same_reply_and_handled_once(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    first = wecom.text("wangjianguo", "帮助")
    again = wecom.replay(times=2)
    assert again == [200, 200]
    bodies = [passive_reply(r.text)["Content"] for r in
              (first, *(wecom.post(q, b, retries=0, keep=False) for q, b in wecom.sent))]
    assert len(set(bodies)) == 1 and "师傅指令" in bodies[0]
    assert len(fake.to("wangjianguo")) == 1 and api_sends(fake) == 0   # WeCom shows it once
    assert replies(desk) == [("answered", [])]


def test_a_retry_after_a_restart_reads_the_answer_from_the_database(
        desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from bot.app import create_app
    from storage.kv_memory import MemoryStore

    first = passive_reply(wecom.text("wangjianguo", "帮助").text)["Content"]
    restarted = replace(desk, store=MemoryStore())   # the store's dedup mark is gone
    with TestClient(create_app(restarted)) as client:
        query, body = wecom.sent[-1]
        answer = client.post("/wecom/callback", params=query, content=body)
    assert passive_reply(answer.text)["Content"] == first and replies(desk) == [("answered", [])]


def test_a_reply_with_buttons_goes_through_the_send_api(desk: Desk, fake: FakeWecom, wecom: Callbacks) -> None:
    """A report told whole is summed up with 确认 / 修改 buttons: a card, which no passive reply can be."""
    answer = wecom.text(OWNER, REPORT)
    assert answer.status_code == 200 and answer.content == b""
    (status, buttons), = replies(desk)
    assert buttons and status == "sent"
    card = fake.to(OWNER)[-1]
    assert card["msgtype"] == "template_card" and not card.get("passive")


def test_a_handling_slower_than_the_platform_waits_sends_its_reply_through_the_api(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    converse = router._converse

    def slow(*args: object) -> list[router.Reply]:
        clock.advance(seconds=router.ANSWER_WITHIN.total_seconds())   # WeCom may have given up on this answer
        return converse(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(router, "_converse", slow)
    answer = wecom.text("wangjianguo", "帮助")
    assert answer.status_code == 200 and answer.content == b""
    assert replies(desk) == [("sent", [])] and api_sends(fake) == 1
    assert "师傅指令" in fake.to("wangjianguo")[-1]["body"]["text"]["content"]
