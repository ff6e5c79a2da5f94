"""What the desk draws, behind one door that loads the drawing libraries on first use.

matplotlib, fpdf2 and openpyxl hold about 60 MB once imported. A web process may never draw, and
`serve` draws only when a chart or a document is asked for, so the renderers are imported inside
these calls; the rest of the code imports this module, never them.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from domain.charts import ChartFigures
    from domain.documents import Confirmation
    from domain.statements import Statement
    from scheduler.render.formats import Company
    from scheduler.render.template import Layout


def chart_png(figures: ChartFigures) -> bytes:
    from scheduler.render.chart import render_chart
    return render_chart(figures)


def confirmation_pdf(c: Confirmation, layout: Layout, company: Company, tz: tzinfo) -> bytes:
    from scheduler.render.confirmation_pdf import render_confirmation
    return render_confirmation(c, layout, company, tz)


def statement_pdf(s: Statement, company: str) -> bytes:
    from scheduler.render import statement_files
    return statement_files.statement_pdf(s, company)


def statement_xlsx(s: Statement) -> bytes:
    from scheduler.render import statement_files
    return statement_files.statement_xlsx(s)


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
             times: frozenset[str] = frozenset(), money: frozenset[str] = frozenset()) -> bytes:
    from scheduler.render import xlsx
    return xlsx.workbook(title, headers, rows, times, money)
