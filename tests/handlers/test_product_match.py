"""The product on a report: purchases only for a known speaker, and short questions when unsure."""
from __future__ import annotations

from handlers.base import Inbound
from handlers.router import handle
from tests.conftest import Chat
from tests.handlers.test_customer_parts import OWNER, add_second_faucet, seed


def stranger(chat: Chat, sender: str = "wx-stranger"):  # type: ignore[no-untyped-def]
    def say(text: str) -> str:
        return "\n".join(r.text for r in handle(chat.desk, Inbound("wecom_kf", sender, text)))
    return say


def test_a_typed_phone_does_not_reveal_that_customers_address_purchases_or_warranty(chat: Chat) -> None:
    seed(chat.desk)
    say = stranger(chat)
    say("厨房的龙头漏水了")
    out = say("13800138000")
    assert "请告诉我地址" in out  # the purchase does not fill in the address
    for secret in ("翠湖花园3栋", "501室", "SN-", "已过保", "保内", "2025-06-10", "陈女士"):
        assert secret not in out
    out = say("滨江壹号2栋1单元1203")
    assert "请确认报修信息" in out and "翠湖花园" not in out and "已过保" not in out
    assert "以购买记录为准" in out and "人工 ¥80" in out  # charge rules are still told before dispatch


def test_the_desk_filing_for_a_caller_does_use_the_callers_purchases(chat: Chat) -> None:
    seed(chat.desk)
    chat("dispatcher:D01", "代客报修 厨房的龙头漏水了")
    out = chat("dispatcher:D01", "13800138000")
    assert "翠湖花园3栋2单元501" in out and "已过保" in out


def test_none_of_these_is_an_option_and_is_not_asked_again(chat: Chat) -> None:
    seed(chat.desk)
    add_second_faucet(chat.desk)
    out = chat(OWNER, "龙头坏了")
    assert "3. 都不是 / 其他产品" in out and "[3] 都不是" in out
    out = chat(OWNER, "都不是")
    assert "您购买过以下产品" not in out and "哪件产品" in out
    assert "您购买过以下产品" not in chat(OWNER, "马桶")
    out = chat(OWNER, "翠湖花园3栋2单元501")
    assert "您购买过以下产品" not in out and "产品：连体虹吸式抽水马桶" in out
    chat(OWNER, "确认")
    ticket = chat.ticket(chat.last_number())
    assert (ticket.product_sku, ticket.asset_id) == ("TL-S100", None)


def test_several_close_catalog_products_are_offered_by_name_at_confirmation(chat: Chat) -> None:
    out = chat("owner:13600136000", "龙头坏了，翠湖花园1栋1单元101")
    assert "请确认报修信息" in out and "产品：厨房抽拉式水龙头" in out
    line = next(x for x in out.splitlines() if x.startswith("不确定是哪一款"))
    assert "入墙式面盆水龙头" in line and "厨房抽拉式水龙头" not in line
    # Not by number: in the console a number presses one of the confirmation's buttons.
    out = chat("owner:13600136000", "入墙式面盆水龙头")
    assert "产品：入墙式面盆水龙头" in out and "不确定是哪一款" not in out
    chat("owner:13600136000", "确认")
    assert chat.ticket(chat.last_number()).product_sku == "FC-B200"
