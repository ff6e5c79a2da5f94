"""A half-filled report never swallows a command meant for an existing ticket, nor a bare 确认 or emoji."""
from __future__ import annotations

from domain.ticket import State
from tests.conftest import Chat
from tests.handlers.test_owner_after_service import OWNER, resolved

KEPT = "您的报修草稿还在，继续补充即可"
PRODUCT_QUESTION = "请问是哪件产品出了问题"


def _open_draft_at_the_product_question(chat: Chat) -> None:
    chat(OWNER, "智能门锁坏了打不开，滨江壹号2栋1单元1203")
    out = chat(OWNER, "修改")
    assert PRODUCT_QUESTION in out


def test_after_changing_the_form_a_confirm_is_asked_the_product_again_not_taken_as_the_product(chat: Chat) -> None:
    _open_draft_at_the_product_question(chat)
    out = chat(OWNER, "确认")
    assert PRODUCT_QUESTION in out
    out = chat(OWNER, "好")
    assert PRODUCT_QUESTION in out
    out = chat(OWNER, "智能门锁打不开")
    out += chat(OWNER, "确认") + chat(OWNER, "滨江壹号2栋1单元1203")
    assert "请确认报修信息" in out and "描述：智能门锁打不开" in out and "确认" not in out.split("描述：")[1][:8]


def test_punctuation_or_emoji_in_a_report_gets_the_same_question_again(chat: Chat) -> None:
    _open_draft_at_the_product_question(chat)
    assert PRODUCT_QUESTION in chat(OWNER, "😀😀")
    assert PRODUCT_QUESTION in chat(OWNER, "。。。")
    assert PRODUCT_QUESTION in chat(OWNER, "5")  # nothing awaits a rating: a stray digit, not a product
    out = chat(OWNER, "智能门锁") + chat(OWNER, "滨江壹号2栋1单元1203")
    assert "请确认报修信息" in out and "😀" not in out and "。。。" not in out


def test_not_fixed_while_a_new_report_is_open_reopens_the_old_ticket_and_keeps_the_draft(chat: Chat) -> None:
    number, _ = resolved(chat)
    _open_draft_at_the_product_question(chat)
    out = chat(OWNER, "没修好")
    assert "已重新打开" in out and KEPT in out and "请告诉我地址" not in out
    assert chat.ticket(number).state is not State.RESOLVED
    assert "请确认报修信息" in chat(OWNER, "智能门锁打不开") + chat(OWNER, "滨江壹号2栋1单元1203")


def test_urging_checking_and_cancelling_by_number_work_while_a_report_is_open(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    _open_draft_at_the_product_question(chat)
    out = chat(OWNER, "催单")
    assert f"已为您催促工单 {number}" in out and KEPT in out
    out = chat(OWNER, f"进度 {number}")
    assert number in out and KEPT in out
    out = chat(OWNER, f"{number} 怎么样了")
    assert f"{number}（维修）" in out and KEPT in out
    out = chat(OWNER, f"取消 {number}")
    assert f"工单 {number} 已取消" in out and KEPT in out
    assert chat.ticket(number).state is State.CANCELLED
    assert PRODUCT_QUESTION in chat(OWNER, "😀")  # the draft is still there


def test_a_rating_while_a_report_is_open_rates_the_finished_ticket(chat: Chat) -> None:
    number, _ = resolved(chat)
    chat(OWNER, "修好了")
    _open_draft_at_the_product_question(chat)
    out = chat(OWNER, "5")
    assert "感谢您的评价（5 星）" in out and KEPT in out
    assert chat.ticket(number).rating == 5


def test_a_plain_cancel_still_drops_the_draft(chat: Chat) -> None:
    _open_draft_at_the_product_question(chat)
    assert "已取消本次报修" in chat(OWNER, "取消")


def test_a_greeting_in_the_middle_of_a_report_gets_the_same_question_again(chat: Chat) -> None:
    _open_draft_at_the_product_question(chat)
    out = chat(OWNER, "你好")
    assert PRODUCT_QUESTION in out and "没看懂" not in out


def test_a_complaint_that_names_a_ticket_keeps_the_number_in_its_description(chat: Chat) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    chat(OWNER, "投诉")
    out = chat(OWNER, f"{number} 的师傅迟到了两个小时")
    assert f"描述：{number} 的师傅迟到了两个小时" in out and KEPT not in out
