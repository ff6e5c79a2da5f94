"""Done when: on a seeded set of customers, products, regions and jobs, the figures come out exactly.

Purchases, parts and stock go in through the importers; every job runs through the chat, so each
product is found from the owner's purchase, parts are used and charged, and the warranty decides."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.tokens import create_token
from storage.importer import import_csv
from tests.conftest import DEMO, Chat, FakeClock

PURCHASES = """phone,name,community,building,unit,room,sku,serial,purchase_date,install_date
13800138000,陈女士,翠湖花园,3,2,501,FC-K100,SN-A-FAUCET,2020-06-01,2020-06-10
13700137000,周先生,滨江壹号,2,1,1203,WH-G100,SN-B-HEATER,2025-05-01,2025-05-03
13600136000,吴女士,翠湖花园,5,1,301,TL-S100,SN-C-TOILET,2024-06-01,
13500135000,郑先生,未来科技城·云栖苑,8,1,602,FC-K100,SN-D-FAUCET,2026-01-01,2026-01-05
"""


@pytest.fixture
def seeded(chat: Chat, tmp_path: Path, clock: FakeClock) -> Chat:
    (tmp_path / "purchases.csv").write_text(PURCHASES, encoding="utf-8")
    today = clock().date()
    with chat.desk.uow() as uow:
        for kind, path in (("parts", DEMO / "parts.csv"), ("stock", DEMO / "stock.csv"),
                           ("purchases", tmp_path / "purchases.csv")):
            import_csv(uow.session, kind, path, today)
        uow.commit()
    return chat


def job(chat: Chat, clock: FakeClock, owner: str, report: str, *visits: list[str], fixed_at_last: bool = True) -> str:
    """One job: reported, accepted, then each visit's technician lines; 没修好 between visits."""
    who = f"owner:{owner}"
    chat(who, report)
    chat(who, "确认")
    number = chat.last_number()
    tech = "technician:" + chat.ticket(number).assignee_id
    chat(tech, f"接单 {number}")
    for i, lines in enumerate(visits):
        if i:
            chat(who, "没修好")
        for line in lines:
            chat(tech, line)
        clock.advance(minutes=30)
    chat(who, "修好了")
    clock.advance(hours=1)
    return number


def test_first_time_fix_repeat_repairs_and_parts_cost_by_product_and_region(seeded: Chat, clock: FakeClock) -> None:
    chat = seeded
    numbers = [
        # A, faucet, expired: fixed at once with a valve (¥45)
        job(chat, clock, "13800138000", "厨房的龙头漏水了", ["到达", "完工 换阀芯 配件:P-VALVE x1"]),
        # A again within the hour: the same asset came back, a repeat repair (no parts)
        job(chat, clock, "13800138000", "厨房的龙头又漏水了", ["到达", "完工 紧固"]),
        # B, heater in warranty: waited for an igniter, so not a first-time fix (¥70 of parts, free for B)
        job(chat, clock, "13700137000", "热水器打不着火", ["到达", "挂起 等配件", "恢复", "完工 换点火针 配件:P-WHIGN x2"]),
        # C, toilet, on hold because the owner was out: still a first-time fix (¥65)
        job(chat, clock, "13600136000", "马桶一直漏水", ["到达", "挂起 业主不在家", "恢复", "完工 换进水阀 配件:P-FILL x1"]),
        # C again: not fixed on the first visit, fixed on the second (no parts)
        job(chat, clock, "13600136000", "马桶又漏水了", ["到达", "完工 调整"], ["到达", "完工 再次调整"]),
        # D, faucet in warranty in another region: a hose (¥20)
        job(chat, clock, "13500135000", "龙头漏水", ["到达", "完工 换软管 配件:P-HOSE x1"]),
    ]
    tickets = [chat.ticket(n) for n in numbers]
    assert [t.state.value for t in tickets] == ["closed"] * 6
    assert [(t.product_sku, t.asset_serial, t.warranty) for t in tickets] == [
        ("FC-K100", "SN-A-FAUCET", "expired"), ("FC-K100", "SN-A-FAUCET", "expired"),
        ("WH-G100", "SN-B-HEATER", "in"), ("TL-S100", "SN-C-TOILET", "in"),
        ("TL-S100", "SN-C-TOILET", "in"), ("FC-K100", "SN-D-FAUCET", "in")]
    assert [(t.parts_cents, t.charge_cents) for t in tickets] == [
        (4500, 12500), (0, 8000), (7000, 0), (6500, 0), (0, 0), (2000, 0)]

    out = chat("manager:M01", "今日统计")
    assert "近30天：完成 6 · 一次修复率 67% · 返修率 33% · 单均配件 ¥33.33" in out
    assert "  厨房抽拉式水龙头：3单 · 一次修复 100% · 返修 33% · 单均配件 ¥21.67" in out
    assert "  燃气热水器（16升·零冷水）：1单 · 一次修复 0% · 返修 0% · 单均配件 ¥70.00" in out
    assert "  连体虹吸式抽水马桶：2单 · 一次修复 50% · 返修 50% · 单均配件 ¥32.50" in out
    assert "  西湖区：4单 · 一次修复 75% · 返修 50% · 单均配件 ¥27.50" in out
    assert "  滨江区：1单 · 一次修复 0% · 返修 0% · 单均配件 ¥70.00" in out
    assert "  余杭区：1单 · 一次修复 100% · 返修 0% · 单均配件 ¥20.00" in out

    with chat.desk.uow() as uow:
        secret = create_token(uow.session, "dashboard", clock(), ("read",))
        uow.commit()
    with TestClient(create_app(chat.desk)) as client:
        stats = client.get("/api/v1/stats", headers={"Authorization": f"Bearer {secret}"}).json()
    q = stats["quality"]
    assert (q["closed"], q["parts_cost_per_ticket"]) == (6, 33.33)
    assert q["first_time_fix_rate"] == pytest.approx(4 / 6) and q["repeat_repair_rate"] == pytest.approx(2 / 6)
    assert q["by_product"] == {
        "FC-K100": {"tickets": 3, "first_time_fix_rate": 1.0, "repeat_repair_rate": pytest.approx(1 / 3),
                    "parts_cost_per_ticket": 21.67},
        "TL-S100": {"tickets": 2, "first_time_fix_rate": 0.5, "repeat_repair_rate": 0.5,
                    "parts_cost_per_ticket": 32.5},
        "WH-G100": {"tickets": 1, "first_time_fix_rate": 0.0, "repeat_repair_rate": 0.0,
                    "parts_cost_per_ticket": 70.0}}
    assert q["by_region"] == {
        "余杭区": {"tickets": 1, "first_time_fix_rate": 1.0, "repeat_repair_rate": 0.0, "parts_cost_per_ticket": 20.0},
        "滨江区": {"tickets": 1, "first_time_fix_rate": 0.0, "repeat_repair_rate": 0.0, "parts_cost_per_ticket": 70.0},
        "西湖区": {"tickets": 4, "first_time_fix_rate": 0.75, "repeat_repair_rate": 0.5,
                  "parts_cost_per_ticket": 27.5}}
    assert (stats["today"]["created"], stats["today"]["closed"], stats["today"]["open"]) == (6, 6, 0)
