"""Parts named as technicians name them, and a bill that always equals what stock gave up (issue 12, 1-2)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from storage.importer import import_csv
from storage.tables import PartRow, StockRow
from tests.conftest import Chat
from tests.handlers.test_customer_parts import seed
from tests.handlers.test_parts_visits import report, stock


def on_site(chat: Chat) -> tuple[str, str]:
    seed(chat.desk)
    number, tech = report(chat)
    chat(tech, "接单")
    return number, tech


def add_part(chat: Chat, sku: str, name: str, quantity: int, fits: str = "FC-K100",
             location: str = "WH-MAIN") -> None:
    with chat.desk.uow() as uow:
        uow.session.add(PartRow(sku=sku, name=name, price_cents=9000, fits=[fits]))
        uow.session.flush()
        uow.session.add(StockRow(part_sku=sku, location=location, quantity=quantity, reserved=0, low_at=0))
        uow.commit()


def set_stock(chat: Chat, sku: str, quantity: int) -> None:
    with chat.desk.uow() as uow:
        uow.session.execute(update(StockRow).where(StockRow.part_sku == sku).values(quantity=quantity))
        uow.commit()


def test_the_help_example_finishes_with_the_reserved_valve_used_and_billed(chat: Chat) -> None:
    number, tech = on_site(chat)
    chat(tech, "预留 P-VALVE 1")
    chat(tech, "到达")
    out = chat(tech, "完工 更换阀芯 配件:阀芯x1")
    assert "未识别" not in out and "本次费用：¥125（人工 ¥80 + 配件 ¥45）" in out
    assert chat.ticket(number).parts_cents == 4500
    assert stock(chat)["P-VALVE"] == (4, 0)


def test_reserving_by_a_part_of_the_name_sets_that_part_aside(chat: Chat) -> None:
    number, tech = on_site(chat)
    assert "已为" in chat(tech, "预留 软管 1") and stock(chat)["P-HOSE"] == (1, 1)


def test_a_name_two_fitting_parts_share_is_asked_back_and_changes_nothing(chat: Chat) -> None:
    number, tech = on_site(chat)
    add_part(chat, "P-THERMO", "恒温阀芯", 3)
    assert "[1] P-THERMO  [2] P-VALVE" in chat(tech, "预留 阀芯 1")
    assert "已预留" not in chat(tech, "到达")   # another message drops the question
    assert stock(chat)["P-VALVE"] == (5, 0) and stock(chat)["P-THERMO"] == (3, 0)
    out = chat(tech, "完工 更换阀芯 配件:阀芯x1")
    assert "P-VALVE 陶瓷阀芯" in out and "P-THERMO 恒温阀芯" in out and "请选择" in out
    assert chat.ticket(number).state.value == "in_progress"
    assert stock(chat)["P-VALVE"] == (5, 0) and stock(chat)["P-THERMO"] == (3, 0)
    out = chat(tech, "p-thermo")   # the pick runs the waiting message with that part
    assert "已完工" in out and stock(chat)["P-THERMO"] == (2, 0) and stock(chat)["P-VALVE"] == (5, 0)
    assert chat.ticket(number).parts_used.endswith("P-THERMOx1") and chat.ticket(number).parts_cents == 9000


def test_the_desk_picks_by_number_for_a_reservation(chat: Chat) -> None:
    number, tech = on_site(chat)
    add_part(chat, "P-THERMO", "恒温阀芯", 3)
    chat("dispatcher:D01", f"预留 {number} 阀芯 2")
    assert "已为" in chat("dispatcher:D01", "2") and stock(chat)["P-VALVE"] == (5, 2)


def test_the_part_reserved_for_the_job_wins_over_another_that_fits(chat: Chat) -> None:
    number, tech = on_site(chat)
    add_part(chat, "P-THERMO", "恒温阀芯", 3)
    chat(tech, "预留 P-THERMO 1")
    chat(tech, "到达")
    assert "已完工" in chat(tech, "完工 配件:阀芯x1")
    assert stock(chat)["P-THERMO"] == (2, 0) and chat.ticket(number).parts_cents == 9000


def test_a_part_for_another_product_does_not_stand_in_the_way(chat: Chat) -> None:
    number, tech = on_site(chat)
    add_part(chat, "P-TVALVE", "马桶阀芯", 3, fits="TL-S100")
    chat(tech, "到达")
    assert "已完工" in chat(tech, "完工 配件:阀芯x1") and stock(chat)["P-VALVE"] == (4, 0)


def test_using_more_than_reserved_and_free_charges_only_what_stock_gave_and_tells_the_desk(chat: Chat) -> None:
    number, tech = on_site(chat)
    set_stock(chat, "P-VALVE", 2)
    chat(tech, "预留 P-VALVE 1")
    chat(tech, "到达")
    out = chat(tech, "完工 更换阀芯 配件:P-VALVE x5")
    assert stock(chat)["P-VALVE"] == (0, 0)
    ticket = chat.ticket(number)
    assert ticket.parts_cents == 2 * 4500 and "配件 ¥90" in out
    desk = chat.to("dispatcher:D01", out)
    assert f"【库存核对】{number} 填写使用 陶瓷阀芯×5，但库存记录只有 2 件可用" in desk


def test_without_a_reservation_the_free_stock_of_every_place_is_used_before_the_desk_is_told(chat: Chat) -> None:
    number, tech = on_site(chat)
    set_stock(chat, "P-VALVE", 1)
    tech_id = tech.removeprefix("technician:")
    with chat.desk.uow() as uow:
        uow.session.add(StockRow(part_sku="P-VALVE", location=f"van:{tech_id}", quantity=1, reserved=0, low_at=0))
        uow.commit()
    chat(tech, "到达")
    out = chat(tech, "完工 配件:陶瓷阀芯x3")
    with chat.desk.uow() as uow:
        rows = {r.location: r.quantity for r in uow.session.scalars(select(StockRow))
                if r.part_sku == "P-VALVE"}
    assert rows == {"WH-MAIN": 0, f"van:{tech_id}": 0}
    assert chat.ticket(number).parts_cents == 2 * 4500
    assert "库存记录只有 2 件可用" in chat.to("dispatcher:D01", out)


def test_parts_within_stock_tell_the_desk_nothing(chat: Chat) -> None:
    number, tech = on_site(chat)
    chat(tech, "到达")
    out = chat(tech, "完工 配件:P-VALVE x2")
    assert "库存核对" not in out and chat.ticket(number).parts_cents == 9000


def test_aliases_come_from_the_parts_csv_and_name_the_part(chat: Chat, tmp_path: Path) -> None:
    number, tech = on_site(chat)
    csv = tmp_path / "parts.csv"
    csv.write_text("sku,name,price,fits,aliases\nP-CART,恒温阀芯组件,90,FC-K100,温控芯|恒温芯\n", encoding="utf-8")
    with chat.desk.uow() as uow:
        import_csv(uow.session, "parts", csv)
        uow.session.add(StockRow(part_sku="P-CART", location="WH-MAIN", quantity=2, reserved=0, low_at=0))
        uow.commit()
    assert "已为" in chat(tech, "预留 温控芯 1") and stock(chat)["P-CART"] == (2, 1)
