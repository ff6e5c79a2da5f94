"""An Excel workbook read as the same rows an import CSV gives: (row number, text of each cell).

Excel stores numbers, dates and text differently from what the operator typed, so each cell is
turned back into the text the CSV would have held: 13800138000 not 13800138000.0, a date as
2026-12-01. Blank rows are skipped like blank lines; short rows are padded (Excel does not keep
trailing empty cells), so only a row with values beyond the header is a wrong-width row.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path

Row = tuple[int, list[str]]


class Unreadable(Exception):
    """The file as a whole cannot be read; the message says what to do about it."""


def xlsx_rows(path: Path) -> list[Row]:
    from openpyxl import load_workbook   # 5 MB that only an Excel import needs, not every process

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise Unreadable(f"file not found: {path}") from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise Unreadable(f"{path.name} is not an Excel .xlsx workbook; save it as .xlsx or CSV UTF-8") from None
    try:
        sheet = book.worksheets[0]
        return _shaped(list(_texts(sheet.iter_rows(values_only=True))))
    finally:
        book.close()


def _texts(rows: Iterable[tuple[object, ...]]) -> Iterable[Row]:
    for number, values in enumerate(rows, 1):
        cells = [cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            yield number, cells


def _shaped(rows: list[Row]) -> list[Row]:
    if not rows:
        return rows
    width = len(_trimmed(rows[0][1]))
    shaped = [(rows[0][0], _trimmed(rows[0][1]))]
    for number, cells in rows[1:]:
        kept = _trimmed(cells)
        shaped.append((number, kept + [""] * (width - len(kept)) if len(kept) <= width else kept))
    return shaped


def _trimmed(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
