"""Every command that names a ticket shows and changes nothing of a ticket that is not the speaker's."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domain.actors import Actor
from domain.model import Role
from domain.ticket import State
from domain.visibility import may_see
from handlers import commands, desk, owner, technician
from storage.tables import OutboxRow, ReservationRow, TicketEventRow, TicketRow
from tests.conftest import Chat

OWNER = "owner:13800138000"
STRANGER = "owner:13955556666"
SECRET = "翠湖花园6栋2单元902"


def a_job_in_progress(chat: Chat, report: str = f"淋浴花洒漏水了，{SECRET}") -> tuple[str, str]:
    chat(OWNER, report)
    chat(OWNER, "确认")
    number = chat.last_number()
    tech = "technician:" + chat.ticket(number).assignee_id
    chat(tech, f"接单 {number}")
    chat(tech, f"到达 {number}")
    return number, tech


def footprint(chat: Chat, number: str) -> tuple:  # type: ignore[type-arg]
    with chat.desk.uow() as uow:
        s = uow.session
        ticket = s.scalars(select(TicketRow).where(TicketRow.number == number)).one()
        events = s.scalar(select(func.count()).select_from(TicketEventRow).where(TicketEventRow.ticket_id == ticket.id))
        held = s.scalar(select(func.count()).select_from(ReservationRow).where(ReservationRow.ticket_id == ticket.id))
        notices = s.scalar(select(func.count()).select_from(OutboxRow).where(
            OutboxRow.ticket_number == number))
        return (ticket.state, ticket.assignee_id, ticket.priority, ticket.urge_count, ticket.photos,
                ticket.callback_state, events, held, notices)


def spoken(verbs: dict) -> list[str]:  # type: ignore[type-arg]
    """Each verb a role has, in the first words people use for it."""
    return [commands.VERBS[v][0] for v in verbs if v in commands.VERBS]


@pytest.mark.parametrize("who,verbs", [
    (STRANGER, owner.VERBS),
    ("technician:T99", technician.VERBS),   # replaced below by a real technician who is not on the job
])
def test_every_command_naming_someone_elses_ticket_reads_as_unknown(chat: Chat, who: str, verbs: dict) -> None:  # type: ignore[type-arg]
    number, holder = a_job_in_progress(chat)
    if who.startswith("technician:"):
        who = "technician:T05" if holder != "technician:T05" else "technician:T06"
    chat(who, "帮助")  # the stranger is known to the bot before the walk
    before = footprint(chat, number)
    for word in spoken(verbs):
        for text in (f"{word} {number}", f"{word} {number} P-VALVE 1"):
            out = chat(who, text)
            assert "花洒" not in out and "6栋" not in out and "902" not in out, (text, out)
            assert f"→ {who} " not in out or "没有找到工单" in out or number not in out, (text, out)
            assert footprint(chat, number) == before, text
    assert chat.ticket(number).state is State.IN_PROGRESS


def test_the_parts_of_another_technicians_job_are_not_shown(chat: Chat) -> None:
    number, holder = a_job_in_progress(chat, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    other = "technician:T05" if holder != "technician:T05" else "technician:T06"
    out = chat(other, f"配件 {number}")
    assert f"没有找到工单 {number}" in out and "配件" not in out.replace(f"配件 {number}", "")
    assert f"工单 {number} " in chat(holder, f"配件 {number}")


def test_an_owner_cannot_urge_or_cancel_a_strangers_ticket(chat: Chat) -> None:
    number, _ = a_job_in_progress(chat)
    assert f"没有找到工单 {number}" in chat(STRANGER, f"催单 {number}")
    assert f"没有找到工单 {number}" in chat(STRANGER, f"取消 {number}")
    assert chat.ticket(number).urge_count == 0 and chat.ticket(number).state is State.IN_PROGRESS
    assert f"已为您催促工单 {number}" in chat(OWNER, f"催单 {number}")


@pytest.mark.parametrize("who", ["dispatcher:D01", "manager:M01", "admin:A01"])
def test_the_service_desk_sees_every_ticket(chat: Chat, who: str) -> None:
    number, _ = a_job_in_progress(chat)
    out = chat(who, f"工单 {number}")
    assert number in out and "没有找到工单" not in out
    for verb in spoken(desk.DISPATCHER_VERBS if who != "manager:M01" else desk.MANAGER_VERBS):
        assert "没有找到工单" not in chat(who, f"{commands.VERBS[verb][0] if verb in commands.VERBS else verb} {number}")


def test_may_see_is_one_rule_for_every_role(chat: Chat) -> None:
    number, holder = a_job_in_progress(chat)
    ticket = chat.ticket(number)
    assert may_see(Actor(Role.OWNER, str(ticket.customer_id)), ticket)
    assert not may_see(Actor(Role.OWNER, str(ticket.customer_id + 1)), ticket)
    assert may_see(Actor(Role.TECHNICIAN, holder.split(":")[1]), ticket)
    assert not may_see(Actor(Role.TECHNICIAN, "T99"), ticket)
    assert may_see(Actor(Role.TECHNICIAN, "T99"), ticket, offered_before=True)
    assert all(may_see(Actor(r, "x"), ticket) for r in (Role.DISPATCHER, Role.MANAGER, Role.ADMIN))
