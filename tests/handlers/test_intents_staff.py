"""Technicians, dispatchers and managers in their own words: the ticket changes as they meant it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import bootstrap
from bot.settings import PhrasingSettings, SettingsError, load_settings
from domain.model import Technician
from domain.ticket import State
from tests.conftest import EXAMPLE, Chat, FakeClock
from tests.handlers.test_owner_flow import OWNER, open_ticket


def offered(chat: Chat) -> tuple[str, str]:
    number = open_ticket(chat)
    return number, "technician:" + chat.ticket(number).assignee_id


def test_a_technician_accepts_books_departs_arrives_holds_resumes_and_finishes_in_plain_words(chat: Chat) -> None:
    number, tech = offered(chat)
    assert f"已接单 {number}" in chat(tech, "行 这单我来")
    out = chat(tech, "下午两点左右过去")
    assert f"已预约 {number}：11月23日(周一) 14:00" in out
    assert f"→ {OWNER} 工单 {number}：师傅已出发" in chat(tech, "我出发了")
    chat(tech, "到了")
    assert chat.ticket(number).state is State.IN_PROGRESS
    chat(tech, "等配件 先挂起")
    ticket = chat.ticket(number)
    assert ticket.state is State.WAITING and ticket.hold_reason == "等配件"
    chat(tech, "配件到了 继续")
    assert chat.ticket(number).state is State.IN_PROGRESS
    out = chat(tech, "弄好了 换了根软管")
    ticket = chat.ticket(number)
    assert ticket.state is State.RESOLVED and "软管" in ticket.parts_used and "已完工" in out


def test_a_decline_keeps_its_reason_and_the_job_moves_on(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "这单接不了 今天排满了")
    ticket = chat.ticket(number)
    assert "technician:" + ticket.assignee_id != tech and tech.split(":")[1] in ticket.declined
    with chat.desk.uow() as uow:
        reasons = [e.reason for e in uow.tickets.trail(ticket.id) if e.action == "reject"]
    assert reasons == ["今天排满了"]


def test_handing_a_job_back_requeues_it_and_tells_the_desk(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    out = chat(tech, "这单我做不了 退回")
    assert f"已把工单 {number} 交回派单员" in out and f"→ dispatcher:D01 【师傅退回】{number}" in out
    assert f"→ {OWNER} 工单 {number}：原定师傅无法继续处理" in out
    ticket = chat.ticket(number)
    assert ticket.state is State.NEW and ticket.assignee_id is None and tech.split(":")[1] in ticket.declined
    assert number in chat("dispatcher:D01", "待派单")
    assert number not in chat(tech, "我的工单")


def test_an_unclear_word_from_a_technician_offers_two_readings_and_the_button_acts(chat: Chat) -> None:
    number, tech = offered(chat)
    out = chat(tech, "嗯嗯")
    assert "「接单」" in out and "「拒单」" in out and "师傅指令" not in out
    assert f"已接单 {number}" in chat(tech, "1")


def test_a_question_from_a_technician_does_not_act(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    chat(tech, "到达")
    chat(tech, "修好了吗")
    assert chat.ticket(number).state is State.IN_PROGRESS


def test_the_dispatcher_assigns_by_nickname_the_only_job_waiting(chat: Chat, desk) -> None:  # type: ignore[no-untyped-def]
    with desk.uow() as uow:
        for t in uow.people.technicians():
            t.on_duty = False
            uow.people.save_technician(t)
        uow.commit()
    number = open_ticket(chat)
    assert chat.ticket(number).state is State.NEW
    out = chat("dispatcher:D01", "让小李去一趟")
    assert f"已将 {number} 派给 李强" in out and chat.ticket(number).assignee_id == "T02"


def test_two_technicians_with_one_surname_are_asked_about(chat: Chat, desk) -> None:  # type: ignore[no-untyped-def]
    with desk.uow() as uow:
        uow.people.save_technician(Technician("T13", "李明", "13900000113", ("plumbing",), ("西湖区",), 3))
        uow.commit()
    number = open_ticket(chat)
    out = chat("dispatcher:D01", f"{number} 派给小李")
    assert "是哪一位" in out and "李强（T02）" in out and "李明（T13）" in out
    assert "派给 李明" in chat("dispatcher:D01", "李明（T13）")
    assert chat.ticket(number).assignee_id == "T13"


def test_this_ticket_is_the_one_the_dispatcher_just_looked_at(chat: Chat) -> None:
    number = open_ticket(chat)
    chat("dispatcher:D01", f"工单 {number}")
    chat("dispatcher:D01", "这单加急")
    assert chat.ticket(number).priority == "urgent"


def test_a_month_is_a_month_and_an_unreadable_period_is_asked_back(chat: Chat) -> None:
    open_ticket(chat)
    out = chat("manager:M01", "统计 本月")
    assert "统计 2026-11-01 至 2026-11-23" in out and "新建 1" in out
    out = chat("manager:M01", "统计 那几天")
    assert "没看懂要统计哪段时间" in out and "📊" not in out


def test_managers_get_the_overdue_list_the_ranking_and_the_regions(chat: Chat, clock: FakeClock) -> None:
    number = open_ticket(chat)
    clock.advance(days=3)
    out = chat("manager:M01", "超时的单有哪些")
    assert "超时工单 1 张" in out and number in out
    out = chat("manager:M01", "超时工单")   # a button's label, typed where buttons do not show
    assert "超时工单 1 张" in out and number in out
    assert "🏆 师傅排行" in chat("manager:M01", "师傅排行")
    assert "📊" in chat("manager:M01", "按区域看一下")
    assert "「派单」是派单员用的" in chat("manager:M01", "让小李去一趟")


def test_an_operator_phrasing_in_the_config_is_understood(chat: Chat) -> None:
    number, tech = offered(chat)
    chat(tech, "接单")
    assert f"→ {OWNER} 工单 {number}：师傅已出发" in chat(tech, "出车了")


def test_a_configured_phrasing_for_an_unknown_intent_is_refused_at_start(tmp_path: Path) -> None:
    settings = load_settings(str(EXAMPLE), env={})
    settings.database.url = f"sqlite:///{tmp_path / 'x.db'}"
    settings.intents.phrasings = [PhrasingSettings(role="technician", intent="fly", text="起飞")]
    with pytest.raises(SettingsError, match="technician has no intent 'fly'"):
        bootstrap(settings)


def test_moving_a_job_only_looked_at_is_confirmed_first(chat: Chat) -> None:
    number = open_ticket(chat)
    before = chat.ticket(number).assignee_id
    chat("dispatcher:D01", f"工单 {number}")
    out = chat("dispatcher:D01", "改派给小黄")
    assert "确认把工单" in out and "黄海涛" in out and chat.ticket(number).assignee_id == before
    assert "派给 黄海涛" in chat("dispatcher:D01", "确认派单")
    assert chat.ticket(number).assignee_id == "T08"
