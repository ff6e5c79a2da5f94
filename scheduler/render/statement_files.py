"""A 结算单 as PDF (to sign and file) and as Excel (to check and sum)."""
from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from domain.documents import yuan
from domain.statements import Statement, StatementLine
from scheduler.render import fonts
from scheduler.render.xlsx import workbook

HEAD = {"technician": "师傅", "region": "区域"}
COLUMNS = ("工单数", "人工费", "配件费", "客户支付", "保内工单", "保内成本")
MONEY = frozenset({"人工费", "配件费", "客户支付", "保内成本"})
GREY = (238, 238, 238)


def title(s: Statement) -> str:
    return f"结算单 {s.month:%Y年%m月}（按{HEAD[s.by]}）"


def _cells(line: StatementLine) -> list[object]:
    return [line.name, line.jobs, line.labour_cents / 100, line.parts_cents / 100, line.paid_cents / 100,
            line.warranty_jobs, line.warranty_cost_cents / 100]


def statement_xlsx(s: Statement) -> bytes:
    rows = [_cells(line) for line in (*s.lines, s.total)]
    return workbook(f"结算单 {s.month:%Y-%m}", (HEAD[s.by], *COLUMNS), rows, money=MONEY)


def statement_pdf(s: Statement, company: str) -> bytes:
    rows = [(line.name, str(line.jobs), yuan(line.labour_cents), yuan(line.parts_cents), yuan(line.paid_cents),
             str(line.warranty_jobs), yuan(line.warranty_cost_cents)) for line in (*s.lines, s.total)]
    text = title(s) + company + HEAD[s.by] + "".join(COLUMNS) + "".join("".join(r) for r in rows) + "：—"
    pdf = FPDF(format="A4", orientation="landscape")
    pdf.add_font("cjk", "", str(fonts.cjk_font()), unicode_range=sorted({ord(c) for c in text} | set(range(0x20, 0x7F))))
    pdf.set_font("cjk", size=10)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(0, 10, title(s), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 7, company, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    with pdf.table(col_widths=(50, 25, 35, 35, 35, 25, 35), line_height=7, padding=1,
                   headings_style=FontFace(emphasis="", fill_color=GREY),
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row((HEAD[s.by], *COLUMNS))
        for r in rows:
            table.row(r)
    pdf.ln(12)
    pdf.cell(0, 8, "制表：____________    审核：____________    确认：____________")
    return bytes(pdf.output())
