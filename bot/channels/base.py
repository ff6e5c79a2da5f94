"""The contract every chat platform implements, and the one table of platforms.

A platform is a folder under `bot/channels/` whose `channel.build(desk, hooks, settings)`
returns a `Channel`; it is switched on by `[<name>] enabled = true` in the settings. Adding a
platform touches its folder and `PLATFORMS` below, nothing else.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from fastapi import APIRouter

from bot.bootstrap import Desk
from bot.channels.dingtalk import channel as dingtalk
from bot.channels.wecom import channel as wecom
from bot.channels.wecom_bot import channel as wecom_bot
from scheduler.outbound import Hooks, Sender
from scheduler.ports import Outlets


class Channel(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def senders(self) -> Mapping[str, Sender]: ...          # channel name -> outbound client
    @property
    def router(self) -> APIRouter | None: ...               # its HTTP callback routes, if any
    @property
    def fetch_media(self) -> Callable[[str], bytes] | None: ...   # media reference -> file bytes
    @property
    def on_tick(self) -> Callable[[], int] | None: ...      # its own due work (e.g. kf pulls to retry)
    def start(self) -> None: ...                            # background connections (Stream mode)
    def stop(self) -> None: ...


Factory = Callable[[Desk, Hooks, Any], Channel]   # (desk, the wiring's hooks, the platform's settings)

PLATFORMS: dict[str, Factory] = {
    "wecom": wecom.build,
    "wecom_bot": wecom_bot.build,
    "dingtalk": dingtalk.build,
}


def build_channels(desk: Desk, hooks: Hooks) -> list[Channel]:
    """The platforms switched on in the settings (`[wecom]`, `[wecom_bot]`, `[dingtalk]`, …), each built once."""
    found = []
    for name, factory in PLATFORMS.items():
        settings = getattr(desk.settings, name)
        if settings.enabled:
            found.append(factory(desk, hooks, settings))
    return found


def outlets(channels: list[Channel]) -> Outlets:
    """What the scheduler's jobs use of the channels."""
    return Outlets(
        senders={name: s for c in channels for name, s in c.senders.items()},
        fetchers={name: c.fetch_media for c in channels if c.fetch_media for name in c.senders},
        ticks={c.name: c.on_tick for c in channels if c.on_tick})
