"""Printed documents for the CLI and the API: made on request, the same way the outbox worker makes them."""
from __future__ import annotations

from datetime import date

from bot.bootstrap import Desk
from domain.documents import confirmation_attachment
from scheduler.attachments import Attachment, Unavailable, prepare
from scheduler.delivery import document_config
from scheduler.render.drawing import statement_pdf, statement_xlsx, workbook
from storage.statements import load_statement
from storage.exports import COLUMNS, MONEY, TIMES, Filter, export_rows


def confirmation_pdf(desk: Desk, number: str) -> Attachment:
    """Raises Unavailable when there is no such ticket or it is not finished."""
    with desk.uow() as uow:
        render = prepare(uow, desk.rules, document_config(desk), confirmation_attachment(number.upper()))
    return render()


def tickets_xlsx(desk: Desk, f: Filter, full_phones: bool = False) -> tuple[bytes, int]:
    """The workbook and how many tickets are in it."""
    with desk.uow() as uow:
        rows = export_rows(uow, desk.rules, f, full_phones)
    return workbook(f"工单 {f.first:%Y%m%d}-{f.last:%Y%m%d}", COLUMNS, rows, TIMES, MONEY), len(rows)


def statement_file(desk: Desk, month: date, by: str, excel: bool) -> bytes:
    with desk.uow() as uow:
        s = load_statement(uow, desk.rules, month, by)
    return statement_xlsx(s) if excel else statement_pdf(s, desk.settings.documents.company)


__all__ = ["Filter", "Unavailable", "confirmation_pdf", "statement_file", "tickets_xlsx"]
