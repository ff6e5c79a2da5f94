"""Whoever opens the ticket, the owner hears the warranty and charge rule before anyone is sent."""
from __future__ import annotations

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.tokens import create_token
from tests.conftest import Chat, FakeClock
from tests.handlers.test_customer_parts import OWNER, seed


def test_a_ticket_filed_by_the_desk_tells_the_owner_the_charge_rule(chat: Chat) -> None:
    seed(chat.desk)
    chat("dispatcher:D01", "代客报修 厨房的龙头漏水了")
    chat("dispatcher:D01", "13800138000")
    out = chat("dispatcher:D01", "确认")
    assert "保修：已过保，人工 ¥80，配件按价另计。" in chat.to("dispatcher:D01", out)
    told = chat.to(OWNER, out)
    assert "您的报修已受理" in told and "保修：已过保，人工 ¥80，配件按价另计。" in told


def test_a_ticket_from_the_api_tells_the_owner_it_is_free_in_warranty(chat: Chat, clock: FakeClock) -> None:
    seed(chat.desk)
    with chat.desk.uow() as uow:
        secret = create_token(uow.session, "erp", clock(), ("admin",))
        uow.commit()
    with TestClient(create_app(chat.desk)) as client:
        response = client.post("/api/v1/tickets", headers={"Authorization": f"Bearer {secret}"},
                               json={"phone": "13800138000", "description": "指纹锁打不开", "product_sku": "LK-F100",
                                     "community": "翠湖花园", "building": "3", "unit": "2", "room": "501"})
    assert response.status_code == 201 and response.json()["warranty"] == "in"
    assert "保修：保内，本次免费。" in chat.to(OWNER, chat.tick())


def test_the_managers_ticket_view_shows_warranty_costs_and_charge(chat: Chat) -> None:
    seed(chat.desk)
    chat(OWNER, "厨房的龙头漏水了")
    chat(OWNER, "确认")
    number = chat.last_number()
    before = chat("manager:M01", f"工单 {number}")
    assert "保修：已过保（至 2025-06-10），序列号 SN-FC-K100" in before
    assert "收费规则：已过保，人工 ¥80，配件按价另计。" in before
    tech = "technician:" + chat.ticket(number).assignee_id
    for line in ("接单", "到达", "完工 更换阀芯 配件:P-VALVE x1"):
        chat(tech, line)
    after = chat("dispatcher:D01", f"工单 {number}")
    assert "费用：人工 ¥80 + 配件 ¥45，客户支付 ¥125" in after
