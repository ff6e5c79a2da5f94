"""The composition root's second half: the chat channels, built once, and what the scheduler
gets of them. Kept apart from `bootstrap` because the channels import the handlers, and the
handlers still read the `Desk` type from `bootstrap`."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.bootstrap import Desk
from bot.channels.base import Channel, build_channels, outlets
from scheduler import jobs
from scheduler.ports import Outlets
from scheduler.wake import Waker
from storage import wakeup


@dataclass
class Edges:
    desk: Desk
    channels: list[Channel] = field(default_factory=list)
    outlets: Outlets = field(default_factory=Outlets)
    waker: Waker | None = None   # the in-process worker loop, when the scheduler runs here
    web_only: bool = False       # `serve --no-scheduler`: a `baoxiu worker` process delivers

    def deliver_now(self, fetch_media: bool = False) -> None:
        """After a callback: wake the worker loop, in this process or in the worker process (the
        request path does no sending); with neither (tests, tools) deliver here, as before."""
        if self.waker is not None:
            self.waker.wake()
        elif self.web_only:
            wakeup.notify(self.desk.engine)
        else:
            jobs.deliver_now(self.desk, self.outlets, fetch_media)

    def run_worker(self) -> None:
        """Deliveries (and photo fetches) on a thread of their own, woken by callbacks."""
        self.waker = Waker(lambda: jobs.deliver_now(self.desk, self.outlets, fetch_media=True)).start()

    def start(self) -> None:
        for channel in self.channels:
            channel.start()

    def stop(self) -> None:
        if self.waker is not None:   # first: its last pass still sends through the channels
            self.waker.stop()
            self.waker = None
        for channel in self.channels:
            channel.stop()


def wire(desk: Desk, web_only: bool = False) -> Edges:
    edges = Edges(desk, web_only=web_only)
    # The channels get `deliver_now` before the outlets exist; it reads them when called.
    edges.channels = build_channels(desk, edges.deliver_now)
    edges.outlets = outlets(edges.channels)
    return edges
