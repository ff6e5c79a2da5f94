"""Parts across the life of a job: second visits, cancellations, parts nobody set aside."""
from __future__ import annotations

from sqlalchemy import select

from storage.tables import StockRow
from tests.conftest import Chat, FakeClock
from tests.handlers.test_customer_parts import OWNER, seed


def stock(chat: Chat) -> dict[str, tuple[int, int]]:
    with chat.desk.uow() as uow:
        return {r.part_sku: (r.quantity, r.reserved) for r in uow.session.scalars(select(StockRow))}


def report(chat: Chat) -> tuple[str, str]:
    chat(OWNER, "厨房的龙头漏水了")
    chat(OWNER, "确认")
    number = chat.last_number()
    return number, "technician:" + chat.ticket(number).assignee_id


def test_a_second_visit_adds_its_parts_to_the_first_visits(chat: Chat, clock: FakeClock) -> None:
    seed(chat.desk)
    number, tech = report(chat)
    for line in ("接单", "到达", "完工 更换阀芯 配件:P-VALVE x1"):
        chat(tech, line)
    clock.advance(hours=2)
    chat(OWNER, "没修好")
    chat(tech, "到达")
    out = chat(tech, "完工 换软管 配件:P-HOSE x1")
    assert "本次费用：¥145（人工 ¥80 + 配件 ¥65）" in out
    ticket = chat.ticket(number)
    assert (ticket.parts_cents, ticket.charge_cents) == (6500, 14500)
    assert "P-VALVE x1" in ticket.parts_used and "P-HOSE x1" in ticket.parts_used
    assert stock(chat) == {"P-VALVE": (4, 0), "P-HOSE": (0, 0)}


def test_cancelling_a_job_puts_its_reserved_parts_back(chat: Chat) -> None:
    seed(chat.desk)
    number, tech = report(chat)
    chat(tech, "接单")
    chat(tech, "预留 P-VALVE 2")
    assert stock(chat)["P-VALVE"] == (5, 2)
    chat(OWNER, f"取消 {number}")
    chat(OWNER, "确认取消")
    assert stock(chat)["P-VALVE"] == (5, 0)
    assert "已结束" in chat("dispatcher:D01", f"预留 {number} P-VALVE 1")
    assert stock(chat)["P-VALVE"] == (5, 0)


def test_using_parts_never_set_aside_still_warns_the_dispatcher_when_stock_runs_low(chat: Chat) -> None:
    seed(chat.desk)
    number, tech = report(chat)
    for line in ("接单", "到达"):
        chat(tech, line)
    out = chat(tech, "完工 更换阀芯 配件:P-VALVE x3")
    assert stock(chat)["P-VALVE"] == (2, 0)
    assert "【库存预警】P-VALVE 陶瓷阀芯 在 WH-MAIN 仅剩 2 件可用" in chat.to("dispatcher:D01", out)


def test_a_negative_or_zero_quantity_is_a_quantity_error_and_nothing_is_reserved(chat: Chat) -> None:
    seed(chat.desk)
    number, tech = report(chat)
    chat(tech, "接单")
    for text in ("预留 P-VALVE -1", "预留 P-VALVE 0", "预留 P-VALVE x-2"):
        out = chat(tech, text)
        assert "数量请在 1 到 50 之间" in out and "没有找到配件" not in out
    assert stock(chat)["P-VALVE"] == (5, 0)
