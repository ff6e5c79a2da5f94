"""What goes on paper: the 服务确认单 of one finished ticket, as plain data.

Filled from storage and rendered at the edge; nothing here knows about PDF or fonts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.ticket import State

FINISHED = frozenset({State.RESOLVED, State.CLOSED})
CONFIRMATION = "confirmation"   # an outbox attachment: {"render": "confirmation", "ticket": number}


def confirmation_attachment(number: str) -> dict[str, Any]:
    return {"render": CONFIRMATION, "ticket": number}


@dataclass(frozen=True)
class PartLine:
    name: str
    sku: str
    quantity: int
    unit_cents: int

    @property
    def total_cents(self) -> int:
        return self.unit_cents * self.quantity


@dataclass(frozen=True)
class Confirmation:
    """Every field an operator's template may name, already masked where it must be."""

    number: str
    type_name: str
    priority_name: str
    state_label: str
    customer_name: str
    customer_phone: str            # masked: 138****8000
    address: str
    product: str
    serial: str
    warranty: str                  # 保修内 / 已过保 / 未知, with the end date when known
    fault: str
    work_done: str
    parts: tuple[PartLine, ...]
    labour_cents: int
    parts_cents: int
    charge_cents: int              # what the customer pays (0 under warranty)
    technician: str
    created_at: datetime
    arrived_at: datetime | None
    resolved_at: datetime | None
    confirmed_at: datetime | None  # the owner said 修好了 (or rated, or the survey window ran out)
    confirmed_how: str             # 业主在聊天中确认「修好了」 / 评价即确认 / 超时自动确认 / 待业主确认
    rating: int | None
    rating_comment: str
    photos: tuple[str, ...] = field(default_factory=tuple)   # files on disk, thumbnails on the page

    @property
    def total_cents(self) -> int:
        return self.labour_cents + self.parts_cents


def confirmed_how(action: str, reason: str) -> str:
    """How the ticket came to be closed, in the words on the form."""
    if action == "auto_close":
        return "超时未评价，系统自动确认"
    if reason == "评价即确认":
        return "业主评价即确认"
    return "业主在聊天中确认「修好了」"


def yuan(cents: int) -> str:
    return f"¥{cents / 100:,.2f}"
