"""The chat platforms that are switched on, each as one small bundle the app and scheduler plug in."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import APIRouter

from bot.bootstrap import Desk
from bot.channels.base import Sender

log = logging.getLogger("baoxiu.platforms")


@dataclass
class Platform:
    name: str
    senders: dict[str, Sender] = field(default_factory=dict)   # channel name -> outbound client
    router: APIRouter | None = None                             # its callback routes
    fetch_media: Callable[[str], bytes] | None = None           # media reference -> file bytes
    start: Callable[[], None] | None = None                     # background connections (Stream mode)
    stop: Callable[[], None] | None = None
    on_tick: Callable[[], int] | None = None                    # its own due work (e.g. kf pulls to retry)


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


def platform_ticks(desk: Desk) -> int:
    """Each platform's own due work; one failing platform does not stop the others or the tick."""
    done = 0
    for p in load_platforms(desk):
        if p.on_tick is None:
            continue
        try:
            done += p.on_tick()
        except Exception as e:
            log.error("%s tick failed: %s", p.name, type(e).__name__)
    return done
