"""DingTalk bodies without a network: callbacks read, addresses parsed, messages rendered."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from bot.channels.dingtalk.inbound import Malformed, parse
from bot.channels.dingtalk.send import Address, render
from scheduler.outbound import Outgoing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dingtalk"


def load(name: str) -> dict[str, object]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_a_group_text_callback_replies_to_the_group_and_names_the_staff_sender() -> None:
    message = parse(load("robot_group_text.json"))
    assert message is not None
    assert message.sender == "053612200117" and message.chat == "group:cidTWnQwFEKxbvQmgJ2LXbIFg=="
    assert message.text == "待派单"                      # the space after the @ is gone
    assert [i.msg_id for i in message.inbounds()] == ["msgXjt9EO/kR53eOM2TxJ2mOw=="]


def test_rich_text_becomes_its_text_then_one_inbound_per_picture() -> None:
    message = parse(load("robot_richtext.json"))
    assert message is not None
    parts = message.inbounds()
    assert [(p.text, p.media, p.msg_id) for p in parts] == [
        ("现场照片阀芯已换", None, "msgRichText0001"), ("", "dlc-rich-1", "msgRichText0001#1")]


def test_a_sender_without_a_staff_id_is_known_by_the_sender_id() -> None:
    body = {**load("robot_group_text.json"), "conversationType": "1"}
    del body["senderStaffId"]
    message = parse(body)
    assert message is not None and message.sender == body["senderId"] == message.chat


def test_unknown_types_are_none_and_broken_bodies_raise() -> None:
    assert parse({**load("robot_group_text.json"), "msgtype": "file"}) is None
    with pytest.raises(Malformed):
        parse({**load("robot_group_text.json"), "conversationId": None})


def test_addresses_for_people_groups_and_groups_standing_in_for_a_caller() -> None:
    assert Address.parse("053612207728") == Address(user="053612207728")
    assert Address.parse("group:cid+/a==") == Address(group="cid+/a==")
    proxy = Address.parse("group:cid+/a==#owner-7")
    assert proxy.group == "cid+/a==" and proxy.proxy and proxy.key == "group:cid+/a=="


def test_offers_become_action_cards_whose_buttons_send_the_command() -> None:
    offer = Outgoing("053612207728", "【新工单】BX20261123-0001\n地址：滨江壹号",
                     ("接单 BX20261123-0001", "拒单 BX20261123-0001"))
    rendered = render(offer, Address.parse(offer.to))
    assert rendered.msg_key == "sampleActionCard2"
    assert rendered.msg_param["actionTitle1"] == "接单"
    assert unquote(rendered.msg_param["actionURL1"].split("content=")[1]) == "接单 BX20261123-0001"
    buttons = rendered.webhook["actionCard"]["btns"]
    assert [b["title"] for b in buttons] == ["接单", "拒单"]
    assert rendered.webhook["actionCard"]["text"] == "【新工单】BX20261123-0001  \n地址：滨江壹号"


def test_one_button_uses_the_single_card_and_more_than_five_a_markdown_list() -> None:
    one = render(Outgoing("u", "确认?", ("确认",)), Address(user="u"))
    assert one.msg_key == "sampleActionCard" and one.msg_param["singleTitle"] == "确认"
    many = render(Outgoing("u", "选择", tuple(str(i) for i in range(6))), Address(user="u"))
    assert many.msg_key == "sampleMarkdown" and many.webhook["msgtype"] == "markdown"


def test_a_group_standing_in_for_a_caller_gets_a_marked_copy_without_buttons() -> None:
    proxy = "group:c#owner-1"
    rendered = render(Outgoing(proxy, "请确认是否修好：", ("修好了", "没修好")), Address.parse(proxy))
    assert rendered.msg_key == "sampleText" and rendered.msg_param["content"] == "【业主通知】请确认是否修好："


def test_in_a_group_the_choices_are_replies_to_type_not_links() -> None:
    rendered = render(Outgoing("group:c", "请确认报修信息：", ("确认", "修改")), Address.parse("group:c"))
    assert rendered.msg_key == "sampleText" and rendered.webhook["msgtype"] == "text"
    assert rendered.msg_param["content"].splitlines()[-2:] == ["@机器人 确认", "@机器人 修改"]
