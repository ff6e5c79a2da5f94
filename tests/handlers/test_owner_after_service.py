"""After the visit, as the owner sees it: typed phone numbers masked, confirming, rating, looking up old tickets."""
from __future__ import annotations

import json
import re

from bot.views import ticket_view
from domain.ticket import State
from tests.conftest import Chat, FakeClock
from tests.handlers.test_owner_flow import finish, open_ticket

OWNER = "owner:13800138000"
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def resolved(chat: Chat, note: str = "完工 更换阀芯") -> tuple[str, str]:
    number = open_ticket(chat)
    return number, finish(chat, number, note)


def test_phone_numbers_typed_in_reasons_notes_and_comments_are_masked_everywhere(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    tech = "technician:" + chat.ticket(number).assignee_id
    chat(tech, "接单")
    chat(tech, "到达")
    printed = chat(tech, "挂起 等业主回电13800138000")
    printed += chat(tech, "恢复")
    printed += chat(tech, "完工 已修复，业主电话+86 138 0013 8000")
    printed += chat(OWNER, "修好了")
    printed += chat(OWNER, "2分 师傅不行，打我13800138000")
    printed = printed.replace(f"→ {OWNER} ", "")  # the console addresses the owner by phone
    assert "138****8000" in printed and not FULL_PHONE.search(printed)
    with chat.desk.uow() as uow:
        view = json.dumps(ticket_view(uow, uow.tickets.get(number), chat.desk.rules, trail=True), ensure_ascii=False)
    assert "138****8000" in view and not FULL_PHONE.search(view)


def test_confirming_the_repair_gets_thanks_and_says_when_the_rating_question_comes(chat: Chat) -> None:
    number, _ = resolved(chat)
    out = chat(OWNER, "修好了")
    assert f"感谢确认！工单 {number} 已完成" in out and "10 分钟后" in out
    assert chat.ticket(number).state is State.CLOSED


def test_rating_before_the_question_means_the_question_is_never_sent(chat: Chat, clock: FakeClock) -> None:
    number, _ = resolved(chat)
    chat(OWNER, "修好了")
    assert "5 星" in chat(OWNER, "5")
    clock.advance(minutes=11)
    assert "请为本次服务打分" not in chat.tick()
    clock.advance(hours=25)
    assert "还没有评价" not in chat.tick()
    assert chat.ticket(number).rating == 5


def test_a_second_rating_is_answered_clearly_and_keeps_the_first(chat: Chat) -> None:
    number, _ = resolved(chat)
    chat(OWNER, "修好了")
    chat(OWNER, "5")
    out = chat(OWNER, "4分 师傅很专业")
    assert f"工单 {number} 已经评价过了（5 星）" in out and "没看懂" not in out
    assert chat.ticket(number).rating == 5


def test_ratings_are_read_in_the_ways_people_write_them(chat: Chat, backend: str) -> None:
    for said, stars in (("５", 5), ("五星", 5), ("评分 4", 4), ("3星", 3), ("打2分", 2)):
        number, _ = resolved(chat)
        chat(OWNER, "修好了")
        assert f"（{stars} 星）" in chat(OWNER, said), said
        assert chat.ticket(number).rating == stars


def test_commands_in_traditional_characters_work(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    assert number in chat(OWNER, "進度")
    assert "已为您催促" in chat(OWNER, "催單")
    assert "其他指令" in chat(OWNER, "幫助")
    wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert number in chat(OWNER, f"进度 {wide}")


def test_an_owner_can_look_up_a_closed_or_cancelled_ticket_by_number(chat: Chat) -> None:
    number, _ = resolved(chat)
    chat(OWNER, "修好了")
    out = chat(OWNER, f"进度 {number}")
    assert number in out and "已完成" in out and "没有找到" not in out
    chat(OWNER, "马桶堵了 翠湖花园5栋1单元302")
    chat(OWNER, "确认")
    second = chat.last_number()
    chat(OWNER, f"取消 {second}")
    chat(OWNER, "确认取消")
    assert "没有找到" not in chat(OWNER, f"进度 {second}")


def test_a_rating_with_nothing_to_rate_says_so_and_minutes_are_not_stars(chat: Chat) -> None:
    out = chat(OWNER, "评分 5")
    assert "没有待评价的工单" in out and "没看懂" not in out
    out = chat(OWNER, "5分钟前马桶漏水了 翠湖花园3栋2单元501")
    assert "请确认报修信息" in out
