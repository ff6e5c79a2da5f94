"""Printed documents for the CLI and the API: made on request, the same way the outbox worker makes them."""
from __future__ import annotations

from bot.bootstrap import Desk
from scheduler.attachments import Attachment, Unavailable, prepare
from scheduler.delivery import document_config
from domain.documents import confirmation_attachment


def confirmation_pdf(desk: Desk, number: str) -> Attachment:
    """Raises Unavailable when there is no such ticket or it is not finished."""
    with desk.uow() as uow:
        render = prepare(uow, desk.rules, document_config(desk), confirmation_attachment(number.upper()))
    return render()


__all__ = ["Unavailable", "confirmation_pdf"]
