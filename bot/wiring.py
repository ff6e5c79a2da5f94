"""The composition root's second half: the chat channels, built once, and what the scheduler
gets of them. Kept apart from `bootstrap` because the channels import the handlers, and the
handlers still read the `Desk` type from `bootstrap`."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.bootstrap import Desk
from bot.channels.base import Channel, build_channels, outlets
from scheduler import jobs
from scheduler.ports import Outlets


@dataclass
class Edges:
    desk: Desk
    channels: list[Channel] = field(default_factory=list)
    outlets: Outlets = field(default_factory=Outlets)

    def deliver_now(self, fetch_media: bool = False) -> None:
        jobs.deliver_now(self.desk, self.outlets, fetch_media)

    def start(self) -> None:
        for channel in self.channels:
            channel.start()

    def stop(self) -> None:
        for channel in self.channels:
            channel.stop()


def wire(desk: Desk) -> Edges:
    edges = Edges(desk)
    # The channels get `deliver_now` before the outlets exist; it reads them when called.
    edges.channels = build_channels(desk, edges.deliver_now)
    edges.outlets = outlets(edges.channels)
    return edges
