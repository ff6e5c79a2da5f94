"""Many reports, one cause: a burst in one building becomes one incident, everyone told once; a
ceiling leak links to the open leak upstairs; the fix is announced to every linked owner."""
from __future__ import annotations

from datetime import timedelta

from domain.incidents import IncidentPolicy, Report, add_to_ticket, bursts, fault_kind, same_problem, unit_above
from bot.views import ticket_view
from tests.conftest import Chat, FakeClock

WATER_OFF = "家里停水了，厨房水龙头不出水，翠湖花园3栋{unit}单元{room}"
DESK = "dispatcher:D01"


def since(chat: Chat, start: int) -> str:
    """Everything printed from `start` on (the console delivers due work after every message)."""
    return "\n".join(chat.out[start:])


def report(chat: Chat, phone: str, text: str) -> str:
    chat(f"owner:{phone}", text)
    chat(f"owner:{phone}", "确认")
    return chat.last_number()


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
    shown = chat(DESK, f"工单 {late}")
    view = _view(chat, late)
    assert view["incident"]["lead"] == numbers[0] and view["incident"]["tickets"] == sorted([*numbers, late])
    assert shown   # the desk can still look the ticket up


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
