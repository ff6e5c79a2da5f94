"""Imports from Excel: the same checks, line numbers and all-or-nothing as CSV, cells read as typed."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.db import make_engine, session_factory
from storage.importer import ImportFailed, import_csv
from storage.tables import AssetRow, Base, PartRow, TechnicianRow
from tests.conftest import DEMO


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    Base.metadata.create_all(engine)
    with session_factory(engine)() as s:
        yield s
    engine.dispose()


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def as_typed(value: str) -> object:
    """What Excel keeps when someone types the CSV's text into a cell: numbers become numbers (an id
    with a leading zero is entered as text, or Excel would drop the zero)."""
    return int(value) if value.isdigit() and not value.startswith("0") else value


def demo_as_xlsx(kind: str, tmp_path: Path) -> Path:
    with (DEMO / f"{kind}.csv").open(encoding="utf-8-sig") as f:
        rows = [[as_typed(v) for v in row] for row in csv.reader(f)]
    return workbook(tmp_path / f"{kind}.xlsx", rows)


def count(session: Session, row_type: type[Base]) -> int:
    return session.scalar(select(func.count()).select_from(row_type)) or 0


def test_technicians_from_excel_read_back_like_the_csv(session: Session, tmp_path: Path) -> None:
    imported = import_csv(session, "technicians", demo_as_xlsx("technicians", tmp_path))
    session.commit()
    with (DEMO / "technicians.csv").open(encoding="utf-8-sig") as f:
        expected = list(csv.DictReader(f))
    assert imported == len(expected) == count(session, TechnicianRow)
    first = session.get(TechnicianRow, expected[0]["id"])
    assert first is not None and first.phone == expected[0]["phone"]   # a number cell, not 13900000101.0
    assert first.capacity == int(expected[0]["capacity"]) and first.skills == expected[0]["skills"].split("|")


def test_a_bad_row_names_its_excel_row_and_nothing_is_written(session: Session, tmp_path: Path) -> None:
    path = workbook(tmp_path / "t.xlsx", [
        ["id", "name", "phone", "skills", "regions", "capacity", "wecom_userid", "dingtalk_userid"],
        ["T91", "赵师傅", 13900000191, "plumbing", "西湖区", 3],
        [],
        ["T92", "钱师傅", 12345, "plumbing", "西湖区", 3],
        ["T93", "孙师傅", 13900000193, "plumbing", "西湖区", -1, "", "", "多余"],
    ])
    with pytest.raises(ImportFailed) as failed:
        import_csv(session, "technicians", path)
    lines = [line for line, _ in failed.value.problems]
    assert lines == [4, 5] and "phone" in str(failed.value) and "expected 8 fields, found 9" in str(failed.value)
    session.rollback()
    assert count(session, TechnicianRow) == 0


def test_parts_prices_and_purchase_dates_come_from_number_and_date_cells(session: Session, tmp_path: Path) -> None:
    for kind in ("products", "sites"):
        import_csv(session, kind, DEMO / f"{kind}.csv")
    parts = workbook(tmp_path / "p.xlsx", [["sku", "name", "price", "fits"], ["P-XL", "测试阀芯", 38.5, "FC-K100"]])
    assert import_csv(session, "parts", parts, date(2026, 12, 1)) == 1
    assert session.get(PartRow, "P-XL").price_cents == 3850  # type: ignore[union-attr]
    purchases = workbook(tmp_path / "b.xlsx", [
        ["phone", "name", "community", "building", "unit", "room", "sku", "serial", "purchase_date", "install_date"],
        [13800138000, "陈女士", "翠湖花园", 3, 2, 501, "FC-K100", "SN-XL-1", datetime(2026, 6, 1), date(2026, 6, 10)]])
    assert import_csv(session, "purchases", purchases, date(2026, 12, 1)) == 1
    row = session.scalars(select(AssetRow)).one()
    assert row.purchase_date == date(2026, 6, 1)


def test_a_file_that_is_not_a_workbook_is_refused_in_one_line(session: Session, tmp_path: Path) -> None:
    fake = tmp_path / "renamed.xlsx"
    fake.write_text("id,name\nT1,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="renamed.xlsx is not an Excel .xlsx workbook"):
        import_csv(session, "technicians", fake)
