"""The report dialog: corrections at the confirmation, the complaint's details, products we do not sell, rooms."""
from __future__ import annotations

from tests.conftest import Chat, FakeClock

OWNER = "owner:13800138000"


def test_a_correction_at_the_confirmation_replaces_the_room(chat: Chat) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    out = chat(OWNER, "不对，是502")
    assert "翠湖花园3栋2单元502室" in out and "501室" not in out
    chat(OWNER, "确认")
    with chat.desk.uow() as uow:
        ticket = uow.tickets.get(chat.last_number())
        assert uow.places.site(ticket.site_id).room == "502"


def test_a_correction_can_name_another_product(chat: Chat) -> None:
    chat(OWNER, "花洒坏了 翠湖花园3栋2单元501")
    out = chat(OWNER, "不对，是马桶")
    assert "马桶" in out and "请确认报修信息" in out


def test_a_complaint_of_one_word_asks_for_the_details_and_keeps_them(chat: Chat) -> None:
    out = chat("owner:13911112222", "投诉")
    assert "投诉的情况" in out
    out = chat("owner:13911112222", "上次来的师傅态度很差，还多收了钱")
    assert "描述：上次来的师傅态度很差，还多收了钱" in out
    chat("owner:13911112222", "确认")
    assert chat.ticket(chat.last_number()).description == "上次来的师傅态度很差，还多收了钱"


def test_a_product_we_do_not_sell_stays_on_the_ticket_for_the_technician(chat: Chat) -> None:
    chat(OWNER, "坏了")
    chat(OWNER, "浴霸")
    chat(OWNER, "翠湖花园3栋2单元501")
    out = chat(OWNER, "确认")
    ticket = chat.ticket(chat.last_number())
    assert ticket.product_sku is None and "浴霸" in ticket.description
    assert "浴霸" in chat.to(f"technician:{ticket.assignee_id}", out)


def test_addresses_with_door_numbers_are_read_whole(chat: Chat) -> None:
    out = chat(OWNER, "马桶漏水 翠湖花园3号楼2门501")
    assert "翠湖花园3栋2单元501室" in out and "描述：马桶漏水" in out


def test_a_building_without_a_room_asks_for_the_room_and_takes_a_bare_number(chat: Chat) -> None:
    out = chat(OWNER, "马桶漏水 翠湖花园3栋")
    assert "请补充房号" in out
    out = chat(OWNER, "601")
    assert "翠湖花园3栋601室" in out and "请确认报修信息" in out


def test_a_public_area_needs_no_room(chat: Chat) -> None:
    chat(OWNER, "入户门关不上 翠湖花园3栋")
    assert "请确认报修信息" in chat(OWNER, "公共区域")


def test_an_install_for_a_chosen_time_is_promised_that_time_only(chat: Chat) -> None:
    chat(OWNER, "新买的智能门锁，麻烦上门安装一下，翠湖花园3栋2单元501")
    out = chat(OWNER, "周六上午")
    assert "期望上门：11月28日(周六) 09:00-12:00" in out
    out = chat(OWNER, "确认")
    assert "按您希望的时间 11月28日(周六) 09:00-12:00 安排师傅上门" in out
    progress = chat(OWNER, "进度")
    assert "预约：11月28日(周六) 09:00-12:00" in progress and "承诺上门" not in progress


def test_returns_and_complaints_are_not_promised_a_technician_at_the_door(chat: Chat) -> None:
    chat("owner:13911112222", "我要投诉，上次师傅态度很差")
    out = chat("owner:13911112222", "确认")
    assert "安排师傅上门" not in out and "客服主管将在" in out
    chat(OWNER, "马桶想退货")
    out = chat(OWNER, "确认")
    assert "安排师傅上门" not in out and "办理退换货" in out


def test_a_returning_owner_is_not_asked_the_address_again(chat: Chat, clock: FakeClock) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    clock.advance(days=3)   # not an aside to the report just made
    out = chat(OWNER, "卫生间的灯不亮了")
    assert "地址：翠湖花园3栋2单元501室（上次报修的地址；如不是这里，直接发新地址）" in out
    out = chat(OWNER, "不对，是滨江壹号2栋1单元1102")
    assert "地址：滨江壹号2栋1单元1102室\n" in out   # the owner's own answer is not "last time"
    chat(OWNER, "确认")
    with chat.desk.uow() as uow:
        ticket = uow.tickets.get(chat.last_number())
        assert uow.places.site(ticket.site_id).room == "1102"


def test_another_owners_last_address_is_never_offered(chat: Chat, clock: FakeClock) -> None:
    chat(OWNER, "马桶漏水 翠湖花园3栋2单元501")
    chat(OWNER, "确认")
    clock.advance(days=3)
    out = chat("owner:13911112222", "卫生间的灯不亮了")
    answer = "".join(m for m in out.split("→ ") if m.startswith("owner:13911112222"))   # not the timers' notices
    assert "501室" not in answer and "请告诉我地址" in answer
