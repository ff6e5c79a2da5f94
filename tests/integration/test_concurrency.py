"""Races a real service meets: twenty technicians grabbing one job, two workers on one outbox."""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

from bot.bootstrap import Desk
from domain.model import Technician
from domain.notices import Notice
from domain.ticket import State
from handlers.base import Inbound
from handlers.router import handle
from scheduler.delivery import deliver_due
from scheduler.outbound import Outgoing
from tests.conftest import Chat, FakeClock


def grab_crew(desk: Desk, n: int = 20) -> list[str]:
    with desk.uow() as uow:
        for t in uow.people.technicians():
            t.on_duty = False
            uow.people.save_technician(t)
        ids = [f"G{i:02d}" for i in range(n)]
        for tid in ids:
            uow.people.save_technician(Technician(tid, f"抢单{tid}", skills=("plumbing",), regions=("西湖区",)))
        uow.commit()
    return ids


def test_twenty_concurrent_grabs_find_one_winner_and_nineteen_polite_refusals(desk: Desk, chat: Chat) -> None:
    desk.rules = replace(desk.rules, dispatch_mode="grab", grab_limit=50)
    crew = grab_crew(desk)
    out = chat("owner:13800138000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    out = chat("owner:13800138000", "确认")
    number = chat.last_number()
    assert sum(f"→ technician:{t} 【抢单】" in out for t in crew) == 20
    barrier, replies = threading.Barrier(len(crew)), {}

    def grab(tid: str) -> None:
        barrier.wait()
        replies[tid] = " ".join(r.text for r in handle(desk, Inbound("console", f"technician:{tid}", f"抢单 {number}")))

    threads = [threading.Thread(target=grab, args=(t,)) for t in crew]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    winners = [tid for tid, text in replies.items() if f"已接单 {number}" in text]
    refused = [tid for tid, text in replies.items() if "手慢了一步" in text]
    assert len(winners) == 1 and len(refused) == 19
    ticket = chat.ticket(number)
    assert (ticket.state, ticket.assignee_id) == (State.ACCEPTED, winners[0])
    taken = chat.tick()
    assert taken.count("已被 抢单") == 19  # everyone else's card says who took it


def test_a_grab_nobody_takes_goes_to_the_desk(desk: Desk, chat: Chat, clock: FakeClock) -> None:
    desk.rules = replace(desk.rules, dispatch_mode="grab")
    grab_crew(desk, 3)
    chat("owner:13800138000", "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat("owner:13800138000", "确认")
    number = chat.last_number()
    clock.advance(minutes=31)
    out = chat.tick()
    assert "→ dispatcher:D01 【待人工派单】" in out and out.count("超时未接单") == 3
    assert chat.ticket(number).state is State.NEW


class Recorder:
    name = "rec"

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.lock = threading.Lock()

    def send(self, message: Outgoing) -> None:
        with self.lock:
            self.keys.append(message.key)


def test_two_workers_over_a_thousand_due_notices_send_each_once(desk: Desk, clock: FakeClock) -> None:
    with desk.uow() as uow:
        for i in range(1000):
            uow.outbox.add(Notice("technician", f"T{i % 12 + 1:02d}", "test", f"通知 {i}", f"bulk:{i}"), clock())
        uow.commit()
    rec = Recorder()

    def worker() -> None:
        idle = 0
        while idle < 2:
            idle = idle + 1 if deliver_due(desk, {"rec": rec}, clock() + timedelta(seconds=1), "rec", 25) == 0 else 0

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(rec.keys) == 1000 and len(set(rec.keys)) == 1000


def test_two_workers_running_full_ticks_fire_each_escalation_once(desk: Desk, clock: FakeClock) -> None:
    from collections import Counter
    from datetime import datetime

    from sqlalchemy import func, select

    from scheduler.jobs import tick
    from scheduler.ports import Outlets
    from storage.tables import TicketEventRow
    from tests.conftest import CN

    from domain.actors import SYSTEM
    from domain.commands import OpenTicket
    from domain.opening import open_ticket

    desk.rules = replace(desk.rules, offer_timeout=timedelta(days=30))
    tickets = 240   # more than one SLA tick takes (200), so both workers get a share
    with desk.uow() as uow:
        for i in range(tickets):
            open_ticket(uow, desk.rules, clock(), OpenTicket(f"1380013{i:04d}", "repair", "normal", "水龙头漏水",
                                                             "翠湖花园", "3", "2", "501", "FC-K100", by=SYSTEM))
        uow.commit()
    rec, errors = Recorder(), []
    now = datetime(2026, 11, 30, 18, 30, tzinfo=CN)   # a week on: every acceptance and arrival missed
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        try:
            idle = 0
            while idle < 2:
                counts = tick(desk, Outlets(senders={"rec": rec}), now, "rec")
                idle = idle + 1 if counts["sla_timers_fired"] == 0 and counts["notices_sent"] == 0 else 0
        except Exception as e:  # a failure in a thread must fail the test, not vanish
            errors.append(repr(e)[:300])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    escalations = [k for k in rec.keys if ":sla:" in k and ":escalate:" in k]
    assert len(escalations) == len(set(escalations)) == tickets * 3   # accept, arrive, resolve, to M01
    assert len(rec.keys) == len(set(rec.keys))
    with desk.uow() as uow:
        breaches = Counter(uow.session.execute(select(TicketEventRow.ticket_id).where(
            TicketEventRow.action == "sla_breach")).scalars())
        assert set(breaches.values()) == {3} and len(breaches) == tickets
        assert uow.session.scalar(select(func.count()).select_from(TicketEventRow).where(
            TicketEventRow.action == "sla_escalate")) == tickets * 3
