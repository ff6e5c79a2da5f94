"""Scheduled work: surveys and their reminder, auto-close, the daily report, maintenance plans, dead letters."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select, update

from bot.bootstrap import build_rules
from bot.settings import SettingsError, load_settings
from domain import reports
from domain.notices import Notice
from domain.rules import Plan
from domain.ticket import State
from scheduler.delivery import MAX_ATTEMPTS, deliver_due
from scheduler.jobs import run
from scheduler.outbound import DeliveryError, Outgoing
from storage.tables import OutboxRow
from tests.conftest import CN, EXAMPLE, Chat, FakeClock
from tests.handlers.test_owner_flow import resolved_ticket as resolved

OWNER = "owner:13800138000"


def test_an_unconfirmed_repair_gets_one_reminder_then_closes_itself_without_a_rating(
        chat: Chat, clock: FakeClock) -> None:
    number = resolved(chat)
    clock.advance(hours=24)
    out = chat.tick()
    assert f"→ {OWNER} 提醒：工单 {number} 师傅已完工，请确认是否修好" in out
    clock.advance(hours=1)
    assert "提醒" not in chat.tick()
    clock.advance(hours=48)
    out = chat.tick()
    assert f"工单 {number} 已自动完成" in out
    ticket = chat.ticket(number)
    assert ticket.state is State.CLOSED and ticket.rating is None
    with chat.desk.uow() as uow:
        actions = [e.action for e in uow.tickets.trail(ticket.id)]
    assert actions[-1] == "auto_close"


def test_the_survey_comes_after_the_delay_with_one_reminder(chat: Chat, clock: FakeClock) -> None:
    number = resolved(chat)
    chat(OWNER, "修好了")
    clock.advance(minutes=10)
    assert "请为本次服务打分" in chat.tick()
    clock.advance(hours=24)
    assert f"提醒：工单 {number} 还没有评价" in chat.tick()
    clock.advance(hours=72)
    chat.tick()
    with chat.desk.uow() as uow:
        actions = [e.action for e in uow.tickets.trail(chat.ticket(number).id)]
    assert actions[-1] == "no_rating"
    clock.advance(hours=72)
    assert chat.tick() == ""


def test_the_daily_report_goes_to_managers_once_after_the_configured_time(chat: Chat, clock: FakeClock) -> None:
    resolved(chat)
    clock.now = datetime(2026, 11, 23, 17, 59, tzinfo=CN)
    assert "日报" not in chat.tick()
    clock.now = datetime(2026, 11, 23, 18, 30, tzinfo=CN)
    out = chat.tick()
    assert "→ manager:M01 📊 日报 2026-11-23" in out and "新建 1" in out
    assert "日报" not in chat.tick()


def test_a_report_already_sent_is_not_computed_again(chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 18, 30, tzinfo=CN)
    assert run(chat.desk, reports.send_daily_report, clock()) == 1  # the one manager in the demo staff
    for minutes in (1, 60, 300):  # every later tick that day: nothing to do, nothing counted
        assert run(chat.desk, reports.send_daily_report, clock.advance(minutes=minutes)) == 0


def test_a_report_missed_while_the_worker_was_down_is_sent_once_after_midnight(
        chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 22, 18, 30, tzinfo=CN)
    assert "日报 2026-11-22" in chat.tick()
    clock.now = datetime(2026, 11, 23, 10, 0, tzinfo=CN)
    resolved(chat)
    clock.now = datetime(2026, 11, 24, 0, 20, tzinfo=CN)  # down from 17:00 on the 23rd until now
    out = chat.tick()
    assert "→ manager:M01 📊 日报 2026-11-23" in out and "新建 1" in out
    assert "日报" not in chat.tick()
    clock.now = datetime(2026, 11, 24, 18, 0, tzinfo=CN)
    assert "日报 2026-11-24" in chat.tick()


def test_a_new_desk_does_not_send_a_report_for_the_day_before_it_started(chat: Chat, clock: FakeClock) -> None:
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=CN)
    assert "日报" not in chat.tick()


def test_a_maintenance_plan_opens_one_inspection_ticket_per_firing(chat: Chat, clock: FakeClock) -> None:
    plan = Plan("cuihu-lift", "0 9 * * 1", "翠湖花园", "13700000001", "inspection", "公共水管月检")
    chat.desk.rules = replace(chat.desk.rules, plans=(plan,))
    clock.now = datetime(2026, 11, 30, 9, 5, tzinfo=CN)  # Monday 9:05: the plan fired at 9:00
    out = chat.tick()
    number = chat.last_number()
    ticket = chat.ticket(number)
    assert number.startswith("BX20261130") and ticket.type == "inspection" and ticket.description == "公共水管月检"
    assert ticket.state is State.ASSIGNED and "【新工单】" in out
    chat.tick()
    clock.now = datetime(2026, 11, 30, 9, 1, tzinfo=CN)  # clock jumps back
    chat.tick()
    assert chat.last_number() == number


def test_a_bad_cron_expression_stops_start_up_naming_the_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace('cron = "0 9 1 * *"', 'cron = "every monday"'),
                   encoding="utf-8")
    try:
        build_rules(load_settings(str(bad), env={}))
    except SettingsError as e:
        assert "[maintenance.0.cron]" in str(e) and str(bad) in str(e)
    else:
        raise AssertionError("a bad cron expression was accepted")


class Failing:
    name = "console"

    def send(self, message: Outgoing) -> None:
        raise DeliveryError("platform busy", retry=True)


def test_failing_notices_back_off_then_become_dead_letters_that_can_be_replayed(chat: Chat, clock: FakeClock) -> None:
    desk = chat.desk
    with desk.uow() as uow:
        uow.outbox.add(Notice("technician", "T01", "test", "测试通知", "test:dead"), clock())
        uow.commit()
    due = []
    for _ in range(MAX_ATTEMPTS):
        assert deliver_due(desk, {"console": Failing()}, clock(), fallback="console") == 0
        with desk.uow() as uow:
            row = uow.session.scalars(select(OutboxRow)).one()
            due.append(row.due_at - clock())
            clock.now = row.due_at
            state = (row.status, row.attempts, row.last_error)
    assert state == ("dead", MAX_ATTEMPTS, "platform busy")
    assert due[1] == 2 * due[0] and due[2] == 2 * due[1]  # exponential backoff
    with desk.uow() as uow:
        uow.session.execute(update(OutboxRow).values(status="pending", attempts=0))
        uow.commit()
    assert deliver_due(desk, {"console": chat.session.sender}, clock(), fallback="console") == 1
    assert chat.out[-1] == "→ technician:T01 测试通知"


def test_the_retry_limit_and_backoff_come_from_the_config(chat: Chat, clock: FakeClock) -> None:
    desk = chat.desk
    desk.settings.outbox.max_attempts, desk.settings.outbox.backoff_seconds = 3, 60
    with desk.uow() as uow:
        uow.outbox.add(Notice("technician", "T01", "test", "测试通知", "test:limit"), clock())
        uow.commit()
    waits = []
    for _ in range(3):
        deliver_due(desk, {"console": Failing()}, clock(), fallback="console")
        with desk.uow() as uow:
            row = uow.session.scalars(select(OutboxRow)).one()
            waits.append((row.due_at - clock()).total_seconds())
            clock.now = row.due_at
            state = (row.status, row.attempts)
    assert state == ("dead", 3)
    assert waits[:2] == [60, 120]


def test_a_notice_for_someone_with_no_channel_waits_without_spending_attempts(chat: Chat, clock: FakeClock) -> None:
    desk = chat.desk
    with desk.uow() as uow:
        uow.outbox.add(Notice("technician", "T01", "test", "您有新消息", "test:nochannel"), clock())
        uow.commit()
    for _ in range(20):  # many ticks with no platform that reaches T01
        deliver_due(desk, {}, clock.advance(minutes=30))
    with desk.uow() as uow:
        row = uow.session.scalars(select(OutboxRow)).one()
        assert (row.status, row.attempts) == ("held", 0)
    out = chat("technician:T01", "我的工单")  # T01 writes: now there is a channel
    assert "→ technician:T01 您有新消息" in out + chat.tick()
