"""Talking, not typing commands, through WeCom's real wire formats: an owner on 微信客服 and a technician
on the app say things in their own words, and the ticket moves as a competent dispatcher would move it."""
from __future__ import annotations

from bot.bootstrap import Desk
from domain.ticket import State
from tests.conftest import FakeClock
from tests.e2e.test_wecom_flow import OWNER, kf_text, last_kf, the_ticket, wecom_user
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401


def owner_says(wecom: Callbacks, fake: FakeWecom, text: str) -> str:  # noqa: F811
    wecom.customer(OWNER, text)
    return kf_text(last_kf(fake))


def test_a_repair_told_and_followed_in_plain_words_on_wecom(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:  # noqa: F811
    owner_says(wecom, fake, "在吗")
    owner_says(wecom, fake, "翠湖花园3栋2单元501")
    assert "请确认报修信息" in owner_says(wecom, fake, "厨房水龙头一直在漏水 电话13800138000")
    assert "报修成功" in owner_says(wecom, fake, "嗯 对的")
    ticket = the_ticket(desk)
    assert (ticket.product_sku or "").startswith("FC-K")
    tech = wecom_user(desk, ticket.assignee_id or "")

    assert ticket.number in owner_says(wecom, fake, "好了吗？")
    assert the_ticket(desk).state is State.ASSIGNED          # a question never closes the ticket

    wecom.text(tech, "行 这单我来")
    assert the_ticket(desk).state is State.ACCEPTED
    wecom.text(tech, "明天下午两点过去")
    assert the_ticket(desk).appointment_start is not None
    wecom.text(tech, "到了")
    wecom.text(tech, "弄好了 换了根软管")
    assert the_ticket(desk).state is State.RESOLVED
    owner_says(wecom, fake, "修好了 谢谢")
    assert the_ticket(desk).state is State.CLOSED

    clock.advance(hours=5)
    assert "已重新打开" in owner_says(wecom, fake, "又漏了")
    reopened = the_ticket(desk)
    assert reopened.state is State.ACCEPTED and reopened.reopen_count == 1

    answer = owner_says(wecom, fake, "接单")
    assert "师傅用的" in answer and "您可以" in answer
    assert fake.violations == []
