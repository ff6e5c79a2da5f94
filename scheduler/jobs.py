"""Thin jobs: a fire time becomes a use case call. Tests and `baoxiu sla tick` call them directly."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.bootstrap import Desk
from bot.channels.base import Sender
from domain.services import expire_offers
from scheduler.delivery import deliver_due
from scheduler.media import fetch_pending


def expire_offers_job(desk: Desk, now: datetime) -> int:
    with desk.uow() as uow:
        count = expire_offers(uow, desk.rules, now)
        uow.commit()
    return count


def tick(desk: Desk, senders: Mapping[str, Sender], now: datetime, fallback: str | None = None) -> dict[str, int]:
    """Every due job once, in an order where the notices a job makes go out in the same tick."""
    from bot.platforms import media_fetchers

    expired = expire_offers_job(desk, now)
    sent = deliver_due(desk, senders, now, fallback)
    fetched = fetch_pending(desk, media_fetchers(desk), now)
    return {"offers_expired": expired, "notices_sent": sent, "media_fetched": fetched}
