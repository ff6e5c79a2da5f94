"""Owners in their own words outside the report form: what they asked for happens, nothing else does."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat
from tests.handlers.test_owner_flow import OWNER, finish, open_ticket, resolved_ticket


def booked(chat: Chat) -> tuple[str, str]:
    number = open_ticket(chat)
    tech = "technician:" + chat.ticket(number).assignee_id
    chat(tech, "接单")
    chat(tech, "预约 明天下午3点")
    return number, tech


def test_a_status_question_after_the_repair_never_confirms_it(chat: Chat) -> None:
    number = resolved_ticket(chat)
    out = chat(OWNER, "好了吗？")
    assert f"{number}（维修）：待确认" in out
    assert chat.ticket(number).state is State.RESOLVED


def test_cancelling_the_appointment_keeps_the_ticket_and_tells_the_technician(chat: Chat) -> None:
    number, tech = booked(chat)
    out = chat(OWNER, "取消预约")
    ticket = chat.ticket(number)
    assert ticket.state is State.ACCEPTED and ticket.appointment_start is None
    assert "工单仍然保留" in out and f"→ {tech} 【改约】工单 {number}：业主取消了原定的上门时间" in out


def test_a_new_day_said_plainly_reaches_the_technician(chat: Chat) -> None:
    number, tech = booked(chat)
    out = chat(OWNER, "周六才有人在家")
    assert f"→ {tech} 【改约】工单 {number}：业主希望改到 11月28日(周六)" in out
    assert "转给师傅" in chat.to(OWNER, out)
    assert chat.ticket(number).state is State.ACCEPTED


def test_wanting_another_time_without_saying_which_is_understood(chat: Chat) -> None:
    number, tech = booked(chat)
    out = chat(OWNER, "我想换个时间")
    assert "没看懂" not in out and f"→ {tech} 【改约】工单 {number}：业主希望换个上门时间" in out


def test_chasing_in_plain_words_is_an_urge(chat: Chat) -> None:
    number = open_ticket(chat)
    out = chat(OWNER, "都三天了还没人来")
    assert f"已为您催促工单 {number}" in out and "→ dispatcher:D01 【催单】" in out
    assert chat.ticket(number).urge_count == 1


def test_still_leaking_after_the_repair_reopens_it_and_starts_no_report(chat: Chat) -> None:
    number = resolved_ticket(chat)
    out = chat(OWNER, "还是在漏")
    ticket = chat.ticket(number)
    assert ticket.state is State.ACCEPTED and ticket.reopen_count == 1 and "重新打开" in out
    assert chat.last_number() == number and "地址" not in chat.to(OWNER, out)


def test_cancel_is_asked_once_with_buttons_and_no_keeps_the_ticket(chat: Chat) -> None:
    number = open_ticket(chat)
    asked = chat(OWNER, "不用修了 取消吧")
    assert "确定要取消工单" in asked and "[1] 确认取消  [2] 不取消" in asked
    assert "不做改动" in chat(OWNER, "不取消")
    assert chat.ticket(number).state is State.ASSIGNED
    chat(OWNER, "算了不修了")
    assert f"工单 {number} 已取消" in chat(OWNER, "确认取消")
    assert chat.ticket(number).state is State.CANCELLED


def test_warranty_questions_are_answered_from_the_catalog(chat: Chat) -> None:
    out = chat(OWNER, "去年买的马桶 现在修要花钱吗")
    assert "保修" in out and "个月" in out and "过保收人工 ¥80" in out
    assert chat.last_number() == ""


def test_opening_hours_and_weekend_visits_come_from_the_config(chat: Chat) -> None:
    out = chat(OWNER, "周末能上门吗")
    assert "09:00-12:00、13:30-18:00" in out and "周末可以预约上门" in out


def test_a_damage_complaint_goes_to_the_desk_with_no_visit_time_asked(chat: Chat) -> None:
    number = resolved_ticket(chat)
    chat(OWNER, "修好了")
    out = chat(OWNER, "师傅把我家地板刮花了")
    assert "投诉" in out and "上门" not in chat.to(OWNER, out).split("请确认")[0]
    out = chat(OWNER, "确认")
    complaint = chat.ticket(chat.last_number())
    assert complaint.number != number and complaint.type == "complaint"
    assert complaint.appointment_start is None and "→ dispatcher:D01 【待客服处理】" in out


def test_an_unclear_message_offers_the_likeliest_readings_not_the_command_list(chat: Chat) -> None:
    number = resolved_ticket(chat)
    out = chat(OWNER, "嗯 那个")
    assert "「确认修好」" in out and "「反馈没修好」" in out and "评分 1-5" not in out
    assert chat.ticket(number).state is State.RESOLVED


def test_the_time_an_owner_turns_down_is_not_the_time_passed_on(chat: Chat) -> None:
    number, tech = booked(chat)
    out = chat(OWNER, "明天上午我不在家 下午可以吗")
    assert f"→ {tech} 【改约】工单 {number}：业主希望改到 11月24日(周二) 13:00-18:00" in out


def test_hurrying_right_after_the_report_both_adds_the_detail_and_hurries(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    out = chat(OWNER, "能不能早点来 漏得厉害")
    assert f"已补充到刚提交的工单 {number}" in out
    assert f"→ dispatcher:D01 【催单】业主催促工单 {number}" in out


def test_a_note_for_the_visit_does_not_hurry_the_ticket(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    out = chat(OWNER, "家里白天没人，来之前打我爱人电话 139 1234 5678")   # 没人，来: two clauses, not 没人来
    assert "【催单】" not in out and "已为您催促" not in out
    assert f"已补充到刚提交的工单 {number}，师傅上门前会看到" in out   # a note for the visit, kept
    assert chat.ticket(number).description.endswith("来之前打我爱人电话 139 1234 5678")   # with the number to call
