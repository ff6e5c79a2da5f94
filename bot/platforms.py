"""The chat platforms that are switched on, each as one small bundle the app and scheduler plug in."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter

from bot.bootstrap import Desk
from bot.channels.base import Sender


@dataclass
class Platform:
    name: str
    senders: dict[str, Sender] = field(default_factory=dict)   # channel name -> outbound client
    router: APIRouter | None = None                             # its callback routes
    fetch_media: Callable[[str], bytes] | None = None           # media reference -> file bytes
    start: Callable[[], None] | None = None                     # background connections (Stream mode)
    stop: Callable[[], None] | None = None


def load_platforms(desk: Desk) -> list[Platform]:
    """Built once per desk; a platform's module is imported only when it is enabled."""
    cached = desk.extras.get("platforms")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[Platform] = []
    if desk.settings.wecom.enabled:
        from bot.channels import wecom

        found.append(wecom.platform(desk))
    if desk.settings.dingtalk.enabled:
        from bot.channels import dingtalk

        found.append(dingtalk.platform(desk))
    desk.extras["platforms"] = found
    return found


def senders(desk: Desk) -> dict[str, Sender]:
    return {name: s for p in load_platforms(desk) for name, s in p.senders.items()}


def media_fetchers(desk: Desk) -> dict[str, Callable[[str], bytes]]:
    return {name: p.fetch_media for p in load_platforms(desk) if p.fetch_media for name in p.senders}
