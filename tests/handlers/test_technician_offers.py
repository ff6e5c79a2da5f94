"""Technicians answer offers and work the visit: the role handler on the recording unit of work (no SQL)."""
from __future__ import annotations

from dataclasses import replace

from domain.actors import Actor
from domain.commands import OpenTicket
from domain.model import Role
from domain.opening import open_ticket
from domain.ticket import State
from tests.conftest import FakeClock, FakeDesk, Talk

OWNER = "owner:13800138000"


def posted(desk: FakeDesk, phone: str = "13800138000", building: str = "3") -> str:
    """An owner's kitchen faucet in 西湖区, opened (and so dispatched as the rules say)."""
    with desk.uow() as uow:
        cmd = OpenTicket(phone, "repair", "normal", "厨房水龙头漏水了", "翠湖花园", building, "2", "501", "FC-K100",
                         by=Actor(Role.OWNER, "owner"))
        ticket = open_ticket(uow, desk.rules, desk.clock(), cmd)
        uow.commit()
    assert ticket.state is State.ASSIGNED
    return ticket.number


def offered(desk: FakeDesk, phone: str = "13800138000", building: str = "3") -> tuple[str, str]:
    """Offered to the best technician: the number and the technician's address."""
    number = posted(desk, phone, building)
    return number, f"technician:{desk.fake.tickets.rows[number].assignee_id}"


def test_accepting_by_text_with_the_number_tells_the_owner(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    out = talk(tech, f"接单 {number.lower()}")
    assert f"已接单 {number}" in out
    assert f"→ {OWNER} 工单 {number}：" in out and "已接单" in out and "****" in out
    assert talk.ticket(number).state is State.ACCEPTED


def test_a_rejected_offer_goes_to_the_next_technician(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    out = talk(tech, "拒单 今天排满了")
    assert f"已拒单 {number}" in out
    ticket = talk.ticket(number)
    assert ticket.state is State.ASSIGNED and "technician:" + ticket.assignee_id != tech
    assert f"→ technician:{ticket.assignee_id} 【新工单】{number}" in out


def test_a_ticket_never_offered_to_a_technician_reads_as_unknown(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    other = "technician:T05" if tech != "technician:T05" else "technician:T06"
    assert f"没有找到工单 {number}" in talk(other, f"接单 {number}")   # a grab lost says 手慢了一步
    assert "technician:" + talk.ticket(number).assignee_id == tech


def test_booking_a_visit_in_everyday_chinese_tells_the_owner(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    out = talk(tech, "预约 明天下午3点")
    assert "11月24日(周二) 15:00-16:00" in out
    assert f"→ {OWNER} 工单 {number}：师傅已预约 11月24日(周二) 15:00-16:00 上门" in out
    out = talk(tech, "预约 周六上午")
    assert "11月28日(周六) 09:00-12:00" in out
    assert "没看懂预约时间" in talk(tech, "预约 改天吧")


def test_a_hold_pauses_the_clock_and_resume_pushes_the_deadline(talk: Talk, fake_desk: FakeDesk,
                                                                clock: FakeClock) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    talk(tech, "到达")
    before = talk.ticket(number).resolve_by
    out = talk(tech, "挂起 等配件")
    assert f"→ {OWNER} 工单 {number} 暂时挂起：等配件" in out
    assert talk.ticket(number).state is State.WAITING
    clock.advance(hours=2)  # 10:00 -> 12:00 Monday: 2 business hours
    talk(tech, "恢复")
    ticket = talk.ticket(number)
    assert ticket.state is State.IN_PROGRESS
    assert ticket.resolve_by > before


def test_finishing_records_the_note_and_parts_and_asks_the_owner(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    assert "请先「到达」签到" in talk(tech, "完工")
    talk(tech, "到达")
    out = talk(tech, "完工 更换阀芯 配件:阀芯x1")
    assert f"→ {OWNER} 工单 {number} 师傅已完工：更换阀芯" in out
    assert fake_desk.fake.notices[-1].buttons == ("修好了", "没修好")
    ticket = talk.ticket(number)
    assert (ticket.state, ticket.resolution_note, ticket.parts_used) == (State.RESOLVED, "更换阀芯", "阀芯x1")
    assert fake_desk.fake.actions(number)[-2:] == ["arrive", "resolve"]   # the audit trail, as saved


def test_my_jobs_lists_what_the_technician_holds(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    assert number in talk(tech, "我的工单")
    assert "没有工单" in talk("technician:T12", "我的工单")


def test_setting_off_tells_the_owner_the_technician_is_on_the_way(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    out = talk(tech, "出发")
    assert f"→ {OWNER} 工单 {number}：师傅已出发，正在赶来，请保持电话畅通。" in out
    assert talk.ticket(number).state is State.ACCEPTED


def test_booking_a_time_already_over_is_refused_and_nothing_is_booked(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    out = talk(tech, "预约 昨天下午3点")
    assert "已经过去了" in out and OWNER not in out
    assert talk.ticket(number).appointment_start is None
    out = talk(tech, "预约 2026-12-05 10:00")
    assert f"→ {OWNER} 工单 {number}：师傅已预约 12月5日(周六) 10:00-11:00 上门" in out


def test_rejecting_a_job_already_accepted_says_so(talk: Talk, fake_desk: FakeDesk) -> None:
    number, tech = offered(fake_desk)
    talk(tech, "接单")
    out = talk(tech, f"拒单 {number}")
    assert "您已接单" in out and "其他师傅" not in out
    assert talk.ticket(number).state is State.ACCEPTED


def test_in_grab_mode_a_plain_grab_takes_the_only_posting(talk: Talk, fake_desk: FakeDesk) -> None:
    fake_desk.rules = replace(fake_desk.rules, dispatch_mode="grab")
    number = posted(fake_desk)
    posted_to = talk.ticket(number).offered
    assert len(posted_to) > 1
    out = talk(f"technician:{posted_to[0]}", "抢单")
    assert f"已接单 {number}" in out
    assert talk.ticket(number).assignee_id == posted_to[0]


def test_in_grab_mode_several_postings_are_listed_for_a_number(talk: Talk, fake_desk: FakeDesk) -> None:
    fake_desk.rules = replace(fake_desk.rules, dispatch_mode="grab")
    first, second = posted(fake_desk), posted(fake_desk, "13900000009", "5")
    both = set(talk.ticket(first).offered) & set(talk.ticket(second).offered)
    tech = sorted(both)[0]
    out = talk(f"technician:{tech}", "接单")
    assert "多张工单" in out and first in out and second in out
    assert talk.ticket(first).state is State.ASSIGNED
