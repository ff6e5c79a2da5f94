"""The report dialog step by step: parts adding up, corrections, yes and cancel in their common forms,
the ticket just made, urgency read again, photos, dates as people write them."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from storage.importer import import_csv
from tests.conftest import CN, DEMO, Chat, FakeClock, make_desk
from tests.handlers.test_owner_flow import finish

OWNER = "owner:13800138000"
PRODUCT_QUESTION = "请问是哪件产品出了问题"
ADDRESS_QUESTION = "请告诉我地址"


def site(chat: Chat, number: str) -> tuple[str, str, str, str]:
    with chat.desk.uow() as uow:
        s = uow.places.site(chat.ticket(number).site_id)
        return s.community, s.building, s.unit, s.room


def on_a_wednesday(clock: FakeClock) -> None:
    clock.now = datetime(2026, 12, 2, 10, 0, tzinfo=CN).astimezone(timezone.utc)


def test_a_report_over_several_messages_adds_up_and_each_part_is_acknowledged(chat: Chat) -> None:
    out = chat(OWNER, "翠湖花园")
    assert "已记下：翠湖花园" in out and PRODUCT_QUESTION in out and "没看懂" not in out
    out = chat(OWNER, "3栋2单元")
    assert "已记下：翠湖花园3栋2单元" in out and "没看懂" not in out
    out = chat(OWNER, "501")
    assert "翠湖花园3栋2单元501室" in out and PRODUCT_QUESTION in out
    out = chat(OWNER, "马桶一直在漏水")
    assert "请确认报修信息" in out and "地址：翠湖花园3栋2单元501室" in out and "描述：马桶一直在漏水" in out
    chat(OWNER, "确认")
    number = chat.last_number()
    assert site(chat, number) == ("翠湖花园", "3", "2", "501")
    assert chat.ticket(number).product_sku == "TL-S100"


def test_without_a_known_community_the_place_is_asked_and_the_building_and_room_are_kept(chat: Chat) -> None:
    out = chat(OWNER, "洗手台下面的水管漏水 3栋2单元501")
    assert "请问是哪个小区" in out and "地标" in out
    out = chat(OWNER, "文三路上的绿城桂花园")
    assert "地址：文三路上的绿城桂花园3栋2单元501室" in out
    chat(OWNER, "确认")
    assert site(chat, chat.last_number()) == ("文三路上的绿城桂花园", "3", "2", "501")


@pytest.mark.parametrize(("correction", "field", "expected"), [
    ("不对 是滨江壹号的", "site", ("滨江壹号", "3", "2", "501")),
    ("不是马桶 是洗手池", "product", "BC-V100"),
    ("501 哦不对 502", "site", ("翠湖花园", "3", "2", "502")),
    ("房号写错了 是503", "site", ("翠湖花园", "3", "2", "503")),
])
def test_every_field_can_be_corrected_at_the_summary(chat: Chat, correction: str, field: str,
                                                     expected: object) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    out = chat(OWNER, correction)
    assert "请确认报修信息" in out
    chat(OWNER, "确认")
    number = chat.last_number()
    assert (site(chat, number) if field == "site" else chat.ticket(number).product_sku) == expected


def test_a_new_phone_at_the_summary_is_the_one_called(chat: Chat) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    out = chat(OWNER, "电话换一个 打我老公的 13912345678")
    assert "电话：139****5678" in out
    chat(OWNER, "确认")
    with chat.desk.uow() as uow:
        assert uow.people.customer(chat.ticket(chat.last_number()).customer_id).phone == "13912345678"


def test_an_unreadable_correction_is_asked_about_and_the_draft_kept(chat: Chat) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    out = chat(OWNER, "不对")
    assert "哪里不对" in out and chat.last_number() == ""
    assert "报修成功" in chat(OWNER, "确认")


def test_informal_yeses_submit_the_report(chat: Chat) -> None:
    yeses = ["对", "没错", "嗯嗯", "好的", "ok", "可以", "是的", "行", "确认", "提交吧", "对的没错", "OK的", "👌"]
    for i, yes in enumerate(yeses):
        owner = f"owner:1390000{i:04d}"
        chat(owner, "马桶漏水 翠湖花园3栋2单元501")
        assert "报修成功" in chat(owner, yes), yes


@pytest.mark.parametrize("steps", [
    ["马桶漏水"],                                        # asking the address
    ["坏了"],                                            # asking the product
    ["马桶漏水 翠湖花园3栋2单元501"],                     # at the summary
    ["门锁安装 翠湖花园3栋2单元501", "元旦上午"],          # asked about a holiday
])
@pytest.mark.parametrize("cancel", ["算了", "不报了", "取消", "不用了"])
def test_cancel_forms_end_the_form_at_every_step(chat: Chat, steps: list[str], cancel: str) -> None:
    for text in steps:
        chat(OWNER, text)
    out = chat(OWNER, cancel)
    assert "已取消本次报修" in out and ADDRESS_QUESTION not in out
    assert "您好" in chat(OWNER, "你好")   # no form is waiting any more
    assert chat.last_number() == ""


def test_a_cancel_right_after_the_ticket_is_about_that_ticket_not_a_new_report(chat: Chat) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    out = chat(OWNER, "算了 不用来了")
    assert number in out and ADDRESS_QUESTION not in out and PRODUCT_QUESTION not in out
    assert chat.last_number() == number


def test_more_of_the_story_right_after_the_ticket_goes_onto_it(chat: Chat) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    assert f"工单 {number} 已经提交好了" in chat(OWNER, "确认")   # the button pressed twice
    out = chat(OWNER, "现在地上全是水了")
    assert f"已补充到刚提交的工单 {number}" in out
    ticket = chat.ticket(number)
    assert "补充：现在地上全是水了" in ticket.description and chat.last_number() == number
    assert ticket.priority == "urgent"


def test_still_leaking_after_a_repair_reopens_it_and_a_rating_is_not_taken_for_a_report(chat: Chat,
                                                                                        clock: FakeClock) -> None:
    chat(OWNER, "厨房水龙头漏水了，翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    number = chat.last_number()
    finish(chat, number)
    clock.advance(hours=2)
    out = chat(OWNER, "还是在漏")
    assert ADDRESS_QUESTION not in out and PRODUCT_QUESTION not in out and "已重新打开" in out
    out = chat(OWNER, "5 师傅很好")
    assert ADDRESS_QUESTION not in out and PRODUCT_QUESTION not in out
    assert chat.last_number() == number


def test_a_hazard_told_in_a_later_message_raises_the_priority(chat: Chat) -> None:
    chat(OWNER, "洗手台下面漏水")
    out = chat(OWNER, "翠湖花园3栋2单元501")
    assert "类型：维修（普通）" in out
    out = chat(OWNER, "现在地上全是水了 快点")
    assert "类型：维修（紧急）" in out
    chat(OWNER, "确认")
    assert chat.ticket(chat.last_number()).priority == "urgent"


@pytest.mark.parametrize(("text", "urgent"), [
    ("跳闸了 整个屋都没电 翠湖花园3栋2单元501", True),
    ("热水器有煤气味 翠湖花园3栋2单元501", True),
    ("指纹锁打不开 人在外面 翠湖花园3栋2单元501", True),
    ("厨房水龙头滴答滴答的 翠湖花园3栋2单元501", False),
    ("卫生间墙角有点渗水 翠湖花园3栋2单元501", False),
])
def test_hazards_are_urgent_and_a_slow_drip_is_not(chat: Chat, text: str, urgent: bool) -> None:
    out = chat(OWNER, text)
    assert ("类型：维修（紧急）" in out) is urgent and "请确认报修信息" in out


def test_photos_before_and_during_the_report_are_on_the_ticket(chat: Chat) -> None:
    out = chat(OWNER, "[图片]")
    assert "收到照片" in out and "什么坏了" in out
    chat(OWNER, "厨房龙头漏水")
    assert "照片收到了" in chat(OWNER, "[图片]")
    out = chat(OWNER, "翠湖花园3栋2单元501")
    assert "照片：2 张" in out
    out = chat(OWNER, "确认")
    assert "已附上您发的 2 张照片" in out
    assert len(chat.ticket(chat.last_number()).photos) == 2


def test_a_date_written_with_a_dot_is_that_day_with_its_weekday(chat: Chat, clock: FakeClock) -> None:
    on_a_wednesday(clock)
    chat(OWNER, "新买的智能门锁要安装 翠湖花园3栋2单元501")
    out = chat(OWNER, "预约 12.8 14:00")
    assert "期望上门：12月8日(周二) 14:00-15:00" in out
    chat(OWNER, "确认")
    start = chat.ticket(chat.last_number()).appointment_start.astimezone(CN)
    assert (start.month, start.day, start.hour) == (12, 8, 14)


def test_a_public_holiday_is_asked_about_before_it_is_booked(chat: Chat, clock: FakeClock) -> None:
    on_a_wednesday(clock)
    chat(OWNER, "新买的智能门锁要安装 翠湖花园3栋2单元501")
    out = chat(OWNER, "元旦上午")
    assert "1月1日(周五) 09:00-12:00 是元旦假期" in out and "[1] 确定" in out
    out = chat(OWNER, "确定")
    assert "期望上门：1月1日(周五) 09:00-12:00" in out


@pytest.mark.parametrize(("when", "answer"), [("12.1上午", "已经过去"), ("月底吧", "没看懂这个时间")])
def test_a_past_or_unreadable_day_is_asked_again_never_booked(chat: Chat, clock: FakeClock, when: str,
                                                             answer: str) -> None:
    on_a_wednesday(clock)
    chat(OWNER, "新买的智能门锁要安装 翠湖花园3栋2单元501")
    assert answer in chat(OWNER, when)
    assert "期望上门：12月9日(周三) 09:00-12:00" in chat(OWNER, "那就12.9上午吧")


def test_a_time_mentioned_with_the_report_is_kept_as_the_wish(chat: Chat, clock: FakeClock) -> None:
    on_a_wednesday(clock)
    out = chat(OWNER, "花洒坏了 翠湖花园3栋2单元501 周六才有人在家")
    assert "期望上门：12月5日(周六) 09:00-18:00" in out


def test_a_draft_left_too_long_is_said_to_have_timed_out(chat: Chat, clock: FakeClock) -> None:
    chat(OWNER, "马桶漏水")
    clock.advance(minutes=45)
    out = chat(OWNER, "嗯")
    assert "已经失效" in out and chat.last_number() == ""


def test_with_no_communities_configured_the_building_and_room_are_kept(tmp_path: Path, clock: FakeClock) -> None:
    desk = make_desk("sqlite", tmp_path, clock, demo=False)
    try:
        with desk.uow() as uow:
            for kind in ("products", "technicians", "staff"):
                import_csv(uow.session, kind, DEMO / f"{kind}.csv")
            uow.commit()
        chat = Chat(desk)
        out = chat(OWNER, "马桶漏水 3栋2单元501")
        assert "地址：3栋2单元501室" in out
        chat(OWNER, "确认")
        assert site(chat, chat.last_number()) == ("", "3", "2", "501")
    finally:
        desk.close()
