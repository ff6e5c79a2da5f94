"""What a caller names when it asks for a drawing: the file types, the fields a 服务确认单 template
may print, and the letterhead. Kept apart from the renderers so that naming them loads no drawing
library (scheduler/render/drawing.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a 服务确认单 template may print (scheduler/render/confirmation_pdf.py fills each).
FIELDS = frozenset({
    "number", "type_name", "priority_name", "state_label", "customer_name", "customer_phone", "address",
    "product", "serial", "warranty", "fault", "work_done", "technician", "created_at", "arrived_at",
    "resolved_at", "confirmed_at", "confirmed_how", "rating", "rating_comment", "labour", "parts_total",
    "total", "charge", "company"})


@dataclass(frozen=True)
class Company:
    """The letterhead of printed documents."""
    name: str
    logo: Path | None = None
