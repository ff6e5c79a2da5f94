"""客户 …: a customer's sites, purchases, warranty, every ticket newest first, ratings, costs, repeats."""
from __future__ import annotations

from tests.conftest import Chat, FakeClock
from tests.handlers.test_figures_seeded import job, seeded  # noqa: F401  (fixture)


def test_the_card_is_found_by_phone_ticket_or_serial_and_shows_the_whole_story(seeded: Chat,  # noqa: F811
                                                                               clock: FakeClock) -> None:
    chat = seeded
    first = job(chat, clock, "13800138000", "厨房的龙头漏水了", ["到达", "完工 换阀芯 配件:P-VALVE x1"])
    chat("owner:13800138000", "5分 很好")
    second = job(chat, clock, "13800138000", "厨房的龙头又漏水了", ["到达", "完工 紧固"])
    chat("owner:13800138000", "2 又坏了")
    cards = [chat("dispatcher:D01", q) for q in ("客户 13800138000", f"客户 {second}", "客户 SN-A-FAUCET")]
    assert cards[0] == cards[1] == cards[2]
    card = cards[0]
    assert "13800138000" not in card and "138****8000" in card
    assert "📍 地址：翠湖花园3栋2单元501室" in card
    assert "厨房抽拉式水龙头（FC-K100，序列号 SN-A-FAUCET）" in card and "已过保至2025-06-10" in card
    assert "工单 2 张 · 返工 0 次 · 同一设备30天内返修 1 次 · 平均评分 3.5（2 条）" in card
    assert "累计费用 ¥205，客户支付 ¥205" in card
    lines = card.splitlines()
    assert lines.index(next(x for x in lines if second in x and "5星" not in x)) < \
        lines.index(next(x for x in lines if first in x and "5星" in x))   # newest first
    assert f"↻ 厨房抽拉式水龙头（SN-A-FAUCET）：{first} → {second}" in card
    assert "没有找到这位客户" in chat("dispatcher:D01", "客户 SN-NOBODY")


def test_a_long_history_is_capped_with_a_count(seeded: Chat, clock: FakeClock) -> None:  # noqa: F811
    chat = seeded
    for i in range(12):
        chat("owner:13700137000", f"热水器第{i}次不热了")
        if "是同一个问题吗" in chat("owner:13700137000", "确认"):   # the open one is asked about first
            chat("owner:13700137000", "不是，新报修")
        clock.advance(minutes=5)
    card = chat("manager:M01", "客户 13700137000")
    assert "工单 12 张" in card and "…另有 2 张更早的工单" in card
    assert sum(1 for line in card.splitlines() if line.strip().startswith("BX")) == 10
