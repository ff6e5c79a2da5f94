"""Notices: what a person is told when something happens, queued in the outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Notice:
    role: str            # owner / technician / dispatcher / manager
    person_id: str       # customer id, technician id or staff id
    kind: str            # offer, accepted, progress, survey, alert, ...
    text: str
    key: str             # idempotency key: one notice per key, ever
    ticket_number: str | None = None
    buttons: tuple[str, ...] = ()   # each button sends this command text when pressed
    due_at: datetime | None = None  # None: as soon as possible
    channel: str = ""               # set for replies: exactly this chat, not wherever the person was last seen
    address: str = ""
    attachment: dict[str, Any] | None = None   # a file rendered and sent with the text (a chart, a PDF)


def button_label(command: str) -> str:
    """The label shown on a button is the command's first word (接单 BX… → 接单)."""
    return command.split()[0] if command.strip() else command
