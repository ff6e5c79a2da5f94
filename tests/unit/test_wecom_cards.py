"""Notice text → WeCom bodies: byte limits, card rules, kf menus, and what a callback asks of us."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from bot.channels.wecom import cards
from bot.channels.wecom.inbound import dedup_id, parse_app, parse_kf
from bot.channels.wecom.state import Pacer
from scheduler.outbound import Outgoing
from storage.kv_memory import MemoryStore

OFFER = ("【新工单】BX20261123-0001 维修 · 普通 · 已派单\n产品：厨房龙头\n地址：翠湖花园3栋2单元501室\n"
         "描述：厨房水龙头漏水了\n请在 11月23日(周一) 10:15 前接单。")


def offer(**changes: object) -> Outgoing:
    values = {"to": "wangjianguo", "text": OFFER, "buttons": ("接单 BX20261123-0001", "拒单 BX20261123-0001"),
              "key": "BX20261123-0001:offer-T01:2026-11-23T02:00:00+00:00", "kind": "offer",
              "ticket_number": "BX20261123-0001"}
    return Outgoing(**{**values, **changes})  # type: ignore[arg-type]


def test_cutting_keeps_whole_characters_and_says_so() -> None:
    cut = cards.cut_bytes("漏" * 1000, 2048)
    assert len(cut.encode()) <= 2048 and cut.endswith(cards.CUT_NOTE)
    assert cards.cut_bytes("短", 2048) == "短"


def test_an_offer_becomes_a_button_card_with_the_jobs_facts() -> None:
    body = cards.card_body(offer(), agent_id=7)["template_card"]
    assert body["card_type"] == "button_interaction" and body["main_title"]["title"].startswith("【新工单】BX")
    assert [(r["keyname"], r["value"]) for r in body["horizontal_content_list"]][:2] == [
        ("产品", "厨房龙头"), ("地址", "翠湖花园3栋2单元501室")]
    assert body["sub_title_text"].startswith("请在")
    assert [b["text"] for b in body["button_list"]] == ["接单", "拒单"]


def test_task_ids_are_stable_per_notice_and_follow_the_platforms_alphabet() -> None:
    first, again, other = cards.task_id(offer()), cards.task_id(offer()), cards.task_id(offer(key="x"))
    assert first == again != other
    keys = ["BX20261123-0001:offer-T01:202611231000", "工单:抢单 BX20261123-0001 @王师傅", "x" * 500, "a b/c+d=e"]
    for key in keys:
        assert re.fullmatch(r"^[0-9a-zA-Z_\-@]{1,128}$", cards.task_id(offer(key=key))), key
        assert re.fullmatch(r"^[0-9a-zA-Z_\-]{1,32}$", cards.kf_msgid(offer(key=key))), key
    assert len({cards.task_id(offer(key=k)) for k in keys}) == len(keys)


def test_more_than_six_buttons_fall_back_to_text_with_the_choices() -> None:
    many = offer(buttons=tuple(str(i) for i in range(7)))
    assert not cards.can_be_card(many)
    assert cards.text_body(many)["text"]["content"].endswith("回复：0 / 1 / 2 / 3 / 4 / 5 / 6")


def test_kf_menus_carry_the_command_in_the_click_id() -> None:
    survey = offer(buttons=("5", "4", "3", "2", "1"), kind="survey")
    menu = cards.menu_body(survey)["msgmenu"]
    assert [i["click"]["id"] for i in menu["list"]] == ["5", "4", "3", "2", "1"]
    assert menu["list"][0]["click"]["content"] == "5 星"


def test_final_notices_name_the_new_button_text() -> None:
    assert cards.final_label("expired", "…") == "已超时"
    assert cards.final_label("offer_taken", "工单 BX… 已被 王师傅 抢单") == "已被王师傅抢单"
    assert cards.final_label("accepted", "…") is None


def test_events_dedup_on_sender_time_and_event() -> None:
    event = {"FromUserName": "u", "CreateTime": "1", "Event": "enter_agent", "MsgType": "event"}
    assert dedup_id(event) == "u-1-enter_agent" and dedup_id({"MsgId": "42"}) == "42"
    assert parse_app(event).inbound.text == "帮助"  # type: ignore[union-attr]


def test_kf_items_from_anyone_but_the_customer_are_ignored() -> None:
    item = {"msgid": "m1", "external_userid": "wm1", "origin": 3, "msgtype": "text",
            "text": {"content": "5 星", "menu_id": "5"}}
    assert parse_kf(item).inbound.text == "5"  # type: ignore[union-attr]
    assert parse_kf({**item, "origin": 5}).kind == "ignored"


def test_pacing_lets_thirty_through_a_minute() -> None:
    now = [datetime(2026, 11, 23, 2, 0, 30, tzinfo=timezone.utc)]
    pacer = Pacer(MemoryStore(), lambda: now[0])
    assert sum(pacer.allow("u") for _ in range(40)) == 30
    now[0] += timedelta(minutes=2)
    assert pacer.allow("u")
