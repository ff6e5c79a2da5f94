"""The 服务确认单 as a PDF: the operator's layout, the ticket's data, a subset of the CJK font embedded."""
from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from domain.documents import Confirmation, yuan
from scheduler.render import fonts
from scheduler.render.formats import Company
from scheduler.render.template import Block, Layout, fill

log = logging.getLogger("baoxiu.documents")

FONT = "cjk"
PARTS_HEAD = ("配件", "编号", "数量", "单价", "金额")
SUMS = ("人工费", "配件合计", "费用合计", "客户应付", "（保修期内免费）", "：", "日期", "—")
GREY, LINE = (238, 238, 238), (160, 160, 160)
THUMB_MM = 42


def values(c: Confirmation, tz: tzinfo, company: str) -> dict[str, str]:
    """Every field as the text printed for it; empty ones as a dash."""
    raw = {
        "number": c.number, "type_name": c.type_name, "priority_name": c.priority_name, "state_label": c.state_label,
        "customer_name": c.customer_name, "customer_phone": c.customer_phone, "address": c.address,
        "product": c.product, "serial": c.serial, "warranty": c.warranty, "fault": c.fault, "work_done": c.work_done,
        "technician": c.technician, "created_at": _when(c.created_at, tz), "arrived_at": _when(c.arrived_at, tz),
        "resolved_at": _when(c.resolved_at, tz), "confirmed_at": _when(c.confirmed_at, tz),
        "confirmed_how": c.confirmed_how, "rating": f"{c.rating} 分（满分 5 分）" if c.rating else "",
        "rating_comment": c.rating_comment, "labour": yuan(c.labour_cents), "parts_total": yuan(c.parts_cents),
        "total": yuan(c.total_cents), "charge": yuan(c.charge_cents), "company": company}
    return {k: v or "—" for k, v in raw.items()}


def _when(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""


def render_confirmation(c: Confirmation, layout: Layout, company: Company, tz: tzinfo) -> bytes:
    vals = values(c, tz, company.name)
    texts = _all_text(layout, vals, c)
    lost = fonts.missing(texts)
    if lost:  # emoji and the like: left out rather than printed as empty boxes
        log.info("%s: %d characters the font lacks are left out", c.number, len(lost))
        vals = {k: "".join(ch for ch in v if ch not in lost) for k, v in vals.items()}
    pdf = _document(texts, company.name or layout.title)
    _header(pdf, layout, vals, company)
    for block in layout.blocks:
        _BLOCKS[block.kind](pdf, block, layout, vals, c)
    return bytes(pdf.output())


def _all_text(layout: Layout, vals: dict[str, str], c: Confirmation) -> str:
    pieces = [layout.title, layout.subtitle, *layout.labels.values(), *vals.values(), *PARTS_HEAD, *SUMS,
              *(p.name for p in c.parts)]
    for b in layout.blocks:
        pieces += [b.heading, fill(b.text, vals), *b.labels]
    return "".join(pieces)


def _document(text: str, author: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    # Only the characters this document prints are read from the font and embedded (a few KB, not 8 MB).
    wanted = {ord(ch) for ch in text} | set(range(0x20, 0x7F))
    pdf.add_font(FONT, "", str(fonts.cjk_font()), unicode_range=sorted(wanted))
    pdf.set_font(FONT, size=10)
    pdf.set_author(author)
    pdf.set_creator("Baoxiu 报修")
    pdf.add_page()
    return pdf


def _header(pdf: FPDF, layout: Layout, vals: dict[str, str], company: Company) -> None:
    top = pdf.get_y()
    if company.logo is not None and company.logo.is_file():
        pdf.image(str(company.logo), x=15, y=top, h=14)
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 9, fill(layout.title, vals), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, fill(layout.subtitle, vals), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(0, 6, f"{layout.label('number')}：{vals['number']}", align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + 16))


def _heading(pdf: FPDF, text: str) -> None:
    if not text:
        return
    pdf.ln(2)
    pdf.set_fill_color(*GREY)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_fill_color(255, 255, 255)   # tables take the current fill for their cells
    pdf.set_font(FONT, size=10)


def _fields(pdf: FPDF, block: Block, layout: Layout, vals: dict[str, str], c: Confirmation) -> None:
    _heading(pdf, block.heading)
    pdf.set_draw_color(*LINE)
    with pdf.table(col_widths=(22, 68, 22, 68), first_row_as_headings=False, line_height=6,
                   padding=1) as table:
        for i in range(0, len(block.fields), 2):
            row = table.row()
            for name in block.fields[i:i + 2]:
                row.cell(layout.label(name))
                row.cell(vals[name])


def _text(pdf: FPDF, block: Block, layout: Layout, vals: dict[str, str], c: Confirmation) -> None:
    _heading(pdf, block.heading)
    pdf.multi_cell(0, 6, fill(block.text, vals), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _parts(pdf: FPDF, block: Block, layout: Layout, vals: dict[str, str], c: Confirmation) -> None:
    _heading(pdf, block.heading)
    pdf.set_draw_color(*LINE)
    # The embedded font has one weight: headings are shaded, not bold.
    with pdf.table(col_widths=(60, 40, 20, 30, 30), line_height=6, padding=1,
                   headings_style=FontFace(emphasis="", fill_color=GREY),
                   text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row(PARTS_HEAD)
        for p in c.parts:
            table.row((p.name, p.sku, str(p.quantity), yuan(p.unit_cents), yuan(p.total_cents)))
        for label, amount in (("人工费", vals["labour"]), ("配件合计", vals["parts_total"]),
                              ("费用合计", vals["total"])):
            table.row((label, "", "", "", amount))
        free = "（保修期内免费）" if c.charge_cents == 0 and c.total_cents else ""
        table.row(("客户应付" + free, "", "", "", vals["charge"]))


def _photos(pdf: FPDF, block: Block, layout: Layout, vals: dict[str, str], c: Confirmation) -> None:
    readable = [p for p in c.photos if Path(p).is_file()]
    if not readable:
        return
    _heading(pdf, block.heading)
    if pdf.get_y() + THUMB_MM > pdf.h - pdf.b_margin:
        pdf.add_page()
    top, x = pdf.get_y() + 1, pdf.l_margin
    for path in readable:
        if x + THUMB_MM > pdf.w - pdf.r_margin:
            break
        try:
            pdf.image(path, x=x, y=top, w=THUMB_MM, h=THUMB_MM, keep_aspect_ratio=True)
        except Exception as e:  # a broken photo file: the form still prints, without that thumbnail
            log.warning("%s: photo %s not printed (%s)", c.number, Path(path).name, type(e).__name__)
            continue
        x += THUMB_MM + 3
    pdf.set_y(top + THUMB_MM + 2)


def _signature(pdf: FPDF, block: Block, layout: Layout, vals: dict[str, str], c: Confirmation) -> None:
    _heading(pdf, block.heading)
    pdf.ln(8)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(len(block.labels), 1)
    for label in block.labels:
        pdf.cell(width, 8, f"{label}：____________  日期：________")
    pdf.ln(8)


_BLOCKS = {"fields": _fields, "text": _text, "parts": _parts, "photos": _photos, "signature": _signature}
