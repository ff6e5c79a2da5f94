"""Files that travel with a notice: what the outbox row asks for, and the bytes made from it.

A row carries a small spec (a chart's figures, or a ticket number for its 服务确认单). The worker
reads what the spec needs inside its claim transaction, renders with no lock held, and hands the
file to the platform's sender with the notice.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.charts import CHART, ChartFigures
from domain.documents import CONFIRMATION
from domain.statements import BY, STATEMENT
from domain.rules import Rules
from scheduler.render.drawing import chart_png, confirmation_pdf, statement_pdf, statement_xlsx
from scheduler.render.formats import FIELDS, XLSX, Company
from scheduler.render.template import Layout, load_layout
from storage.documents import load_confirmation
from storage.statements import load_statement
from storage.uow import SqlUnitOfWork

@dataclass(frozen=True)
class Attachment:
    kind: str            # "image" or "file": how the platform shows it
    filename: str        # ASCII: multipart filenames outside ASCII are read differently by each platform
    data: bytes
    content_type: str


class Unavailable(Exception):
    """The spec names something that cannot be rendered (no such ticket, not finished)."""


@dataclass(frozen=True)
class DocumentConfig:
    company: Company
    template: Path | None = None

    def layout(self) -> Layout:
        return load_layout(self.template, FIELDS)


def prepare(uow: SqlUnitOfWork, rules: Rules, docs: DocumentConfig,
            spec: dict[str, Any]) -> Callable[[], Attachment]:
    """Reads what the file needs now; the returned call renders it later, away from the database."""
    if spec.get("render") == CHART:
        figures = ChartFigures.from_dict(spec["figures"])
        return lambda: Attachment("image", f"figures-{figures.first:%Y%m%d}-{figures.last:%Y%m%d}.png",
                                  chart_png(figures), "image/png")
    if spec.get("render") == CONFIRMATION:
        number = str(spec.get("ticket", ""))
        found = load_confirmation(uow, rules, number)
        if found is None:
            raise Unavailable(f"{number}: no finished ticket to confirm")
        layout = docs.layout()
        return lambda: Attachment("file", f"{found.number}-confirmation.pdf",
                                  confirmation_pdf(found, layout, docs.company, rules.tz), "application/pdf")
    if spec.get("render") == STATEMENT:
        month, by, excel = date.fromisoformat(str(spec["month"])), str(spec.get("by")), bool(spec.get("excel"))
        if by not in BY:
            raise Unavailable(f"statement by {by!r}")
        s = load_statement(uow, rules, month, by)
        name = f"statement-{month:%Y%m}-{by}"
        if excel:
            return lambda: Attachment("file", f"{name}.xlsx", statement_xlsx(s), XLSX)
        return lambda: Attachment("file", f"{name}.pdf", statement_pdf(s, docs.company.name), "application/pdf")
    raise Unavailable(f"unknown attachment {spec.get('render')!r}")
