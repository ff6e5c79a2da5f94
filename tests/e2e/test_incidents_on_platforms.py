"""Incidents and 是同一个问题吗？ through the platforms' real wire formats: owners on 微信客服, the desk and
technicians on the WeCom app, an owner on DingTalk pressing card buttons."""
from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from bot.bootstrap import Desk
from bot.views import ticket_view
from domain.ticket import State, Ticket
from scheduler.jobs import tick
from storage.tables import TicketRow
from tests.conftest import FakeClock
from tests.e2e.test_dingtalk_http import fake as dingtalk  # noqa: F401  (fixture)
from tests.e2e.test_dingtalk_http import userid_of
from tests.e2e.test_dingtalk_stream import CARD, push, say, start
from tests.e2e.test_wecom_flow import card_for, kf_text, last_kf, menu_ids, wecom_user
from tests.fakes.dingtalk import FakeDingtalk
from tests.fakes.wecom import Callbacks, FakeWecom, fake, wecom  # noqa: F401

WATER_OFF = "家里停水了，厨房水龙头不出水，翠湖花园3栋{unit}单元{room}，电话{phone}"
TAP = "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000"
AGAIN = "厨房水龙头关不紧，一直在滴水，翠湖花园3栋2单元501"


def ticket(desk: Desk, number: str) -> Ticket:
    with desk.uow() as uow:
        found = uow.tickets.get(number)
        assert found is not None
        return found


def tickets(desk: Desk) -> int:
    with desk.uow() as uow:
        return uow.session.scalar(select(func.count(TicketRow.id))) or 0


def app_texts(fake: FakeWecom, user: str) -> str:
    return "\n".join(json.dumps(m["body"], ensure_ascii=False) for m in fake.to(user))


def kf_report(wecom: Callbacks, fake: FakeWecom, owner: str, text: str) -> str:
    wecom.customer(owner, text)
    assert menu_ids(last_kf(fake, owner)) == ["确认", "修改", "取消"]
    wecom.customer(owner, "确认", menu_id="确认")
    made = re.search(r"BX\d{8}-\d{4}", kf_text(last_kf(fake, owner)))
    assert made is not None and "报修成功" in kf_text(last_kf(fake, owner))
    return made.group()


def test_a_burst_on_wecom_sends_one_job_for_the_cause_and_its_finish_reaches_every_owner(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    owners = [f"wmOwnerKf000{i}" for i in range(3)]
    numbers = [kf_report(wecom, fake, o, WATER_OFF.format(unit=1, room=101 + i, phone=f"1391111000{i}"))
               for i, o in enumerate(owners)]
    tick(desk, wecom.outlets, clock())
    tick(desk, wecom.outlets, clock())                    # a second tick tells nobody again
    with desk.uow() as uow:
        view = ticket_view(uow, ticket(desk, numbers[0]), desk.rules)
    cause = view["incident"]["lead"]
    assert cause not in numbers and sorted(view["incident"]["tickets"]) == sorted([*numbers, cause])
    assert app_texts(fake, "chenjing").count("【批量故障】") == 1 and cause in app_texts(fake, "chenjing")
    for owner, number in zip(owners, numbers):
        assert "多户反映「停水」" in kf_text(last_kf(fake, owner)) and ticket(desk, number).state is State.WAITING
    assert "已并单" in json.dumps(fake.updates, ensure_ascii=False)   # the offers out on them were withdrawn

    tech = wecom_user(desk, ticket(desk, cause).assignee_id or "")
    card = card_for(fake, tech)
    wecom.click(tech, card["task_id"], f"接单 {cause}")
    wecom.text(tech, f"到达 {cause}")
    wecom.text(tech, f"完工 {cause} 更换总阀")
    tick(desk, wecom.outlets, clock())
    for owner, number in zip(owners, numbers):
        told = last_kf(fake, owner)
        assert "已处理完毕" in kf_text(told) and menu_ids(told) == ["修好了", "没修好"]
        assert ticket(desk, number).state is State.RESOLVED
    wecom.customer(owners[0], "修好了", menu_id="修好了")
    assert ticket(desk, numbers[0]).state is State.CLOSED
    assert fake.violations == [] and fake.dropped == []


def test_an_owner_on_wecom_taps_same_problem_and_the_open_ticket_grows(
        desk: Desk, fake: FakeWecom, wecom: Callbacks, clock: FakeClock) -> None:
    owner = "wmOwnerKf0001"
    first = kf_report(wecom, fake, owner, TAP)
    clock.advance(hours=3)
    wecom.customer(owner, AGAIN)
    wecom.customer(owner, "确认", menu_id="确认")
    asked = last_kf(fake, owner)
    assert "是同一个问题吗" in kf_text(asked) and first in kf_text(asked)
    assert menu_ids(asked) == ["是同一个问题", "不是，新报修"]
    wecom.customer(owner, "是同一个问题", menu_id="是同一个问题")
    assert first in kf_text(last_kf(fake, owner)) and "补充" in kf_text(last_kf(fake, owner))
    assert tickets(desk) == 1 and "一直在滴水" in ticket(desk, first).description


def test_an_owner_on_dingtalk_taps_not_the_same_and_gets_a_second_ticket(
        desk: Desk, dingtalk: FakeDingtalk, clock: FakeClock) -> None:  # noqa: F811
    owner = "owner0001"
    for runner in start(desk, dingtalk, cards=True):
        def click(label: str) -> None:
            (track, command), = [(k, b["command"]) for k, c in list(dingtalk.cards.items())[-1:]
                                 for b in _buttons(c) if b["text"] == label and c["chat"] == owner]
            push(dingtalk, runner, CARD, dingtalk.card_click(track, owner, command))

        say(dingtalk, runner, TAP, sender=owner, group=None)
        click("确认")
        first = _newest(desk)
        clock.advance(hours=3)
        say(dingtalk, runner, AGAIN, sender=owner, group=None)
        click("确认")
        asked = list(dingtalk.cards.values())[-1]
        assert "是同一个问题吗" in json.dumps(asked, ensure_ascii=False) and first in json.dumps(asked, ensure_ascii=False)
        assert [b["text"] for b in _buttons(asked)] == ["是同一个问题", "不是，新报修"]
        click("不是，新报修")
        assert tickets(desk) == 2 and _newest(desk) != first
        assert userid_of(desk, ticket(desk, _newest(desk)).assignee_id or "")


def _buttons(card: dict[str, Any]) -> list[dict[str, str]]:
    return list(json.loads(card["params"]["buttons"] or "[]"))


def _newest(desk: Desk) -> str:
    with desk.uow() as uow:
        return uow.session.scalars(select(TicketRow.number).order_by(TicketRow.id.desc())).first() or ""
