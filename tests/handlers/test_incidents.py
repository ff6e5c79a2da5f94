"""Many reports, one cause: a burst in one building becomes one incident, everyone told once; a
ceiling leak links to the open leak upstairs; the fix is announced to every linked owner."""
from __future__ import annotations

import re
from datetime import timedelta

from domain.incidents import IncidentPolicy, Report, add_to_ticket, bursts, fault_kind, same_problem, unit_above
from bot.views import ticket_view
from sqlalchemy import select

from storage.tables import TicketRow
from tests.conftest import Chat, FakeClock

WATER_OFF = "家里停水了，厨房水龙头不出水，翠湖花园3栋{unit}单元{room}"
DESK = "dispatcher:D01"


def since(chat: Chat, start: int) -> str:
    """Everything printed from `start` on (the console delivers due work after every message)."""
    return "\n".join(chat.out[start:])


def report(chat: Chat, phone: str, text: str) -> str:
    """The number the owner is told (the tick after the message may open a cause job after it)."""
    chat(f"owner:{phone}", text)
    made = re.search(r"BX\d{8}-\d{4}", chat(f"owner:{phone}", "确认"))
    assert made is not None
    return made.group()


def test_three_no_water_reports_in_one_building_form_one_incident_and_everyone_is_told_once(
        chat: Chat, clock: FakeClock) -> None:
    numbers, start = [], len(chat.out)
    for i, (unit, room) in enumerate([(1, 101), (2, 502), (1, 803)]):
        numbers.append(report(chat, f"1391111000{i}", WATER_OFF.format(unit=unit, room=room)))
        clock.advance(minutes=20)
    out = since(chat, start) + chat.tick()
    desk = chat.to(DESK, out)
    assert desk.count("【批量故障】") == 1 and all(n in desk for n in numbers) and "停水" in desk
    for i, number in enumerate(numbers):
        assert "多户反映「停水」" in chat.to(f"owner:1391111000{i}", out) and number in out
    assert "【批量故障】" not in chat.tick()          # a second tick tells nobody again
    start = len(chat.out)
    late = report(chat, "13911110009", WATER_OFF.format(unit=2, room=1201))
    out = since(chat, start)
    assert "多户反映「停水」" in chat.to("owner:13911110009", out) and "【批量故障】" not in out
    assert chat.ticket(late).state.value == "waiting"   # joined the incident: not dispatched on its own
    view = _view(chat, late)
    cause = view["incident"]["lead"]
    assert cause not in numbers and view["incident"]["tickets"] == sorted([*numbers, late, cause])
    shown = chat(DESK, f"工单 {late}")
    assert f"批量故障「停水」处理中：排查工单 {cause}" in shown and numbers[0] in shown


def test_one_job_goes_out_for_the_cause_and_its_finish_settles_every_owner_who_then_rates(
        chat: Chat, clock: FakeClock) -> None:
    numbers = [report(chat, f"1391111000{i}", WATER_OFF.format(unit=1, room=101 + i)) for i in range(3)]
    offered = {chat.ticket(n).assignee_id for n in numbers} - {None}
    start = len(chat.out)
    out = chat.tick()
    cause = _view(chat, numbers[0])["incident"]["lead"]
    job = chat.ticket(cause)
    assert cause not in numbers and job.state.value == "assigned" and "【批量故障】" in job.description
    assert [chat.ticket(n).state.value for n in numbers] == ["waiting"] * 3
    assert all(chat.ticket(n).assignee_id is None for n in numbers)
    for tech in offered:   # an offer already out on an owner's ticket is withdrawn
        assert "已并入批量故障" in chat.to(f"technician:{tech}", out)
    tech = f"technician:{job.assignee_id}"
    for line in (f"接单 {cause}", f"到达 {cause}", f"完工 {cause} 更换总阀"):
        chat(tech, line)
    out = since(chat, start)
    for i, number in enumerate(numbers):
        told = chat.to(f"owner:1391111000{i}", out)
        assert "已处理完毕" in told and "修好了" in told and chat.ticket(number).state.value == "resolved"
    assert _view(chat, numbers[0])["incident"]["status"] == "resolved"
    chat("owner:13911110000", "修好了")
    clock.advance(hours=1)
    assert "请为本次服务打分" in chat.to("owner:13911110000", chat.tick())
    assert chat.ticket(numbers[0]).state.value == "closed"


def test_the_desk_ends_an_incident_by_hand_and_every_owner_hears_it(chat: Chat, clock: FakeClock) -> None:
    numbers = [report(chat, f"1391111000{i}", WATER_OFF.format(unit=1, room=101 + i)) for i in range(3)]
    chat.tick()
    assert "不属于任何批量故障" in chat(DESK, "故障解除 BX20991231-0001")
    start = len(chat.out)
    answer = chat(DESK, f"故障解除 {numbers[1]}")
    assert "已通知 3 户" in answer
    out = since(chat, start)
    for i, number in enumerate(numbers):
        assert "已处理完毕" in chat.to(f"owner:1391111000{i}", out)
        assert chat.ticket(number).state.value == "resolved"
    assert "已解除" in chat(DESK, f"故障解除 {numbers[1]}")
    reopened = chat("owner:13911110002", "没修好")           # still no water at this one: a person goes
    assert "仍未恢复" in chat.to(DESK, reopened) and chat.ticket(numbers[2]).state.value == "accepted"


def test_two_reports_or_reports_hours_apart_are_no_incident(chat: Chat, clock: FakeClock) -> None:
    start = len(chat.out)
    report(chat, "13911110000", WATER_OFF.format(unit=1, room=101))
    clock.advance(hours=3)
    report(chat, "13911110001", WATER_OFF.format(unit=1, room=102))
    report(chat, "13911110002", WATER_OFF.format(unit=1, room=103))
    assert "【批量故障】" not in since(chat, start) + chat.tick()


def test_water_through_the_ceiling_links_to_the_open_leak_upstairs_and_the_fix_reaches_both(
        chat: Chat, clock: FakeClock) -> None:
    upstairs = report(chat, "13911110000", "卫生间马桶漏水了，翠湖花园3栋2单元601")
    start = len(chat.out)
    below = report(chat, "13911110001", "卫生间天花板漏水，马桶那边在滴水，翠湖花园3栋2单元501")
    out = since(chat, start)
    assert "【楼上漏水】" in chat.to(DESK, out) and upstairs in chat.to(DESK, out)
    assert "多户反映「楼上漏水」" not in chat.to("owner:13911110000", out)
    assert _view(chat, below)["incident"]["lead"] == upstairs
    tech = "technician:" + chat.ticket(upstairs).assignee_id
    start = len(chat.out)
    for line in ("接单", "到达", "完工 更换密封圈"):
        chat(tech, line)
    out = since(chat, start)
    assert "已处理完毕" in chat.to("owner:13911110001", out) and below in out
    assert _view(chat, below)["incident"]["status"] == "resolved"


def _view(chat: Chat, number: str) -> dict:  # type: ignore[type-arg]
    with chat.desk.uow() as uow:
        ticket = uow.tickets.get(number)
        return ticket_view(uow, ticket, chat.desk.rules)


def test_the_rules_count_owners_not_messages_and_know_the_floor_above(clock: FakeClock) -> None:
    policy = IncidentPolicy()
    kind = fault_kind("电梯停了，困在里面", policy.kinds)
    assert kind is not None and kind.name == "电梯停了"
    now = clock()
    same = [Report(f"BX{i}", 7, "翠湖花园", "3", "1", "101", "lift", now - timedelta(minutes=i)) for i in range(3)]
    assert bursts(same, policy, now) == []                       # one owner writing three times
    many = [Report(f"BX{i}", i, "翠湖花园", "3", "1", "101", "lift", now - timedelta(minutes=i)) for i in range(3)]
    assert [r.number for r in bursts(many, policy, now)[0]] == ["BX2", "BX1", "BX0"]
    assert unit_above("501") == "601" and unit_above("1203") == "1303" and unit_above("B1") is None


def test_a_second_report_on_the_same_product_finds_the_open_ticket_and_yes_adds_to_it(
        chat: Chat, clock: FakeClock) -> None:
    first = report(chat, "13911110000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    ticket = chat.ticket(first)
    with chat.desk.uow() as uow:
        mine = uow.tickets.for_customer(ticket.customer_id)
    assert same_problem(mine, ticket.customer_id, ticket.product_sku) == ticket
    assert same_problem(mine, ticket.customer_id, "TL-S100") is None
    assert same_problem(mine, ticket.customer_id + 1, ticket.product_sku) is None
    add_to_ticket(ticket, "现在水流到地上了", "owner:1", clock())
    assert "补充" in ticket.description and "水流到地上" in ticket.description
    assert ticket.trail[-1].action == "same_problem" and ticket.state.value == "assigned"


def _count(chat: Chat) -> int:
    with chat.desk.uow() as uow:
        return len(uow.session.scalars(select(TicketRow.id)).all())


def test_a_new_report_on_a_product_with_an_open_ticket_asks_and_yes_adds_to_it(chat: Chat, clock: FakeClock) -> None:
    owner = "owner:13911110000"
    first = report(chat, "13911110000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    clock.advance(hours=3)   # long after the report: a new message is a new report, not more of the story
    chat(owner, "厨房水龙头关不紧，一直在滴水，翠湖花园3栋2单元501")
    asked = chat(owner, "确认")
    assert "是同一个问题吗" in asked and first in asked and "[1] 是同一个问题" in asked
    assert "请点按钮" in chat(owner, "什么意思")
    done = chat(owner, "是同一个问题")
    assert first in done and "补充" in done and _count(chat) == 1
    assert "一直在滴水" in chat.ticket(first).description
    assert "补充：厨房水龙头关不紧" in chat(owner, "进度")


def test_no_it_is_a_new_problem_opens_a_second_ticket(chat: Chat, clock: FakeClock) -> None:
    owner = "owner:13911110000"
    first = report(chat, "13911110000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    clock.advance(hours=3)
    chat(owner, "厨房水龙头把手断了，翠湖花园3栋2单元501")
    assert "是同一个问题吗" in chat(owner, "确认")
    made = chat(owner, "不是，新报修")
    assert "报修成功" in made and first not in made and _count(chat) == 2
