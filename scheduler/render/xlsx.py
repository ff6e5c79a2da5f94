"""Rows to an .xlsx workbook: Chinese headers, times as Excel date-times, money as yuan numbers."""
from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

TIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
HEAD_FILL = PatternFill("solid", start_color="DDEBF7")
WIDE = 12


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
             times: frozenset[str] = frozenset(), money: frozenset[str] = frozenset()) -> bytes:
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    for row in rows:
        sheet.append(list(row))
    for i, name in enumerate(headers, 1):
        letter = get_column_letter(i)
        fmt = TIME_FORMAT if name in times else MONEY_FORMAT if name in money else None
        if fmt:
            for cell in sheet[letter][1:]:
                cell.number_format = fmt
        sheet.column_dimensions[letter].width = 17 if name in times else max(WIDE, len(name) * 2 + 2)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
