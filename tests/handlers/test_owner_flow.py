"""Owners through the console channel: report, follow-ups, confirm, rate (more: test_owner_on_fake.py)."""
from __future__ import annotations

from bot.views import ticket_text, ticket_view
from domain.ticket import State
from tests.conftest import Chat, FakeClock

OWNER = "owner:13800138000"
FULL = "厨房水龙头漏水了，翠湖花园3栋2单元501，电话13800138000"


def open_ticket(chat: Chat, text: str = FULL) -> str:
    chat(OWNER, text)
    out = chat(OWNER, "确认")
    assert "报修成功" in out
    return chat.last_number()


def finish(chat: Chat, number: str, note: str = "完工 更换阀芯") -> str:
    """The assigned technician accepts, arrives and finishes; their chat address is returned."""
    tech = "technician:" + chat.ticket(number).assignee_id
    for line in ("接单", "到达", note):
        chat(tech, line)
    return tech


def resolved_ticket(chat: Chat, note: str = "完工 更换阀芯") -> str:
    number = open_ticket(chat)
    finish(chat, number, note)
    return number


def test_a_complete_message_becomes_a_ticket_after_one_confirmation(chat: Chat) -> None:
    out = chat(OWNER, FULL)
    assert "请确认报修信息" in out and "翠湖花园3栋2单元501室" in out and "138****8000" in out
    assert chat.last_number() == ""  # nothing is created before the owner confirms
    out = chat(OWNER, "对")
    number = chat.last_number()
    assert number == "BX20261123-0001"
    assert f"工单号 {number}" in out and "前安排师傅上门" in out
    ticket = chat.ticket(number)
    assert ticket.state is State.ASSIGNED and ticket.product_sku and ticket.assignee_id
    assert f"→ technician:{ticket.assignee_id} 【新工单】{number}" in out


def test_the_console_identity_supplies_the_phone(chat: Chat) -> None:
    out = chat(OWNER, "卫生间马桶堵了 翠湖花园5栋1单元302")
    assert "请确认报修信息" in out and "138****8000" in out


def test_missing_facts_are_asked_one_at_a_time_then_confirmed(chat: Chat) -> None:
    assert "哪件产品" in chat("owner:13911112222", "家里东西坏了，漏水")
    assert "地址" in chat("owner:13911112222", "热水器")
    out = chat("owner:13911112222", "滨江壹号 8号楼2单元1101")
    assert "请确认报修信息" in out and "滨江壹号8栋2单元1101室" in out
    assert "报修成功" in chat("owner:13911112222", "确认")
    assert chat.ticket(chat.last_number()).state is State.ASSIGNED


def test_a_bad_phone_answer_is_asked_again(chat: Chat) -> None:
    who = "dispatcher:D01"
    chat(who, "代客报修 马桶漏水 翠湖花园3栋2单元501")
    assert "11 位手机号" in chat(who, "12345")
    assert "请确认报修信息" in chat(who, "13922223333")


def test_urgent_words_raise_the_priority(chat: Chat) -> None:
    chat(OWNER, "紧急！卫生间水管爆管了，水淹了 翠湖花园3栋2单元501")
    assert "紧急" in chat.out[-1]


def test_not_fixed_reopens_and_a_bare_five_after_the_survey_is_five_stars(chat: Chat, clock: FakeClock) -> None:
    number = open_ticket(chat)
    tech = "technician:" + chat.ticket(number).assignee_id
    for line in ("接单", "到达", "完工 更换阀芯"):
        chat(tech, line)
    out = chat(OWNER, "没修好")
    assert "重新打开" in out and f"→ {tech} 工单 {number}：业主反馈没有修好" in out
    ticket = chat.ticket(number)
    assert ticket.state is State.ACCEPTED and ticket.reopen_count == 1
    chat(tech, "到达")
    chat(tech, "完工 更换整个龙头")
    assert "请为本次服务打分" not in chat(OWNER, "修好了")
    clock.advance(minutes=10)  # the survey follows the confirmation after the configured delay
    assert "请为本次服务打分" in chat.tick()
    out = chat(OWNER, "5")
    assert "5 星" in out
    ticket = chat.ticket(number)
    assert (ticket.state, ticket.rating) == (State.CLOSED, 5)


def test_a_photo_goes_to_the_open_ticket(chat: Chat) -> None:
    number = open_ticket(chat)
    assert f"照片已添加到工单 {number}" in chat(OWNER, "[图片 leak.jpg]")
    assert chat.ticket(number).photos == ["leak.jpg"]


def test_bad_input_gets_help_and_changes_nothing(chat: Chat) -> None:
    for text in ("", "😀😀😀", "<script>alert(1)</script>", "'; DROP TABLE tickets; --", "？？？"):
        out = chat(OWNER, text)
        assert out.startswith(f"→ {OWNER} ") and "Traceback" not in out
    assert "太长" in chat(OWNER, "漏" * 2001)
    assert chat.last_number() == ""
    assert "帮助" in chat(OWNER, "帮助") or "报修助手" in chat(OWNER, "帮助")


def test_a_dialog_can_be_cancelled_before_it_becomes_a_ticket(chat: Chat) -> None:
    chat(OWNER, FULL)
    assert "已取消本次报修" in chat(OWNER, "取消")
    assert chat.last_number() == ""


def test_a_low_rating_opens_a_follow_up_the_desk_lists_closes_and_counts(chat: Chat) -> None:
    number = resolved_ticket(chat, "完工 已处理")
    chat(OWNER, "修好了")
    chat(OWNER, "1 师傅态度差")
    assert number in chat("dispatcher:D01", "待回访")
    assert "待回访 1" in chat("manager:M01", "今日统计")
    assert "回访：待回访" in chat("dispatcher:D01", f"工单 {number}")
    assert "请写上回访结果" in chat("dispatcher:D01", f"已回访 {number}")
    assert "已记录" in chat("dispatcher:D01", f"已回访 {number} 已致电道歉，安排主管上门")
    assert "没有待回访" in chat("dispatcher:D01", "待回访")
    assert "待回访 0" in chat("manager:M01", "今日统计")
    with chat.desk.uow() as uow:
        shown = ticket_text(ticket_view(uow, uow.tickets.get(number), chat.desk.rules, trail=True))
    assert "回访 已回访 已致电道歉，安排主管上门" in shown and "callback_done" in shown


def test_a_good_rating_opens_no_follow_up(chat: Chat) -> None:
    resolved_ticket(chat, "完工 已处理")
    chat(OWNER, "修好了")
    chat(OWNER, "4")
    assert "没有待回访" in chat("dispatcher:D01", "待回访")
