"""The composition root's second half: the chat channels, built once, and what the scheduler
gets of them. Kept apart from `bootstrap` because the channels import the handlers, and the
handlers still read the `Desk` type from `bootstrap`."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bot.bootstrap import Desk
from bot.channels.base import Channel, build_channels, outlets
from scheduler import jobs
from scheduler.ports import Outlets
from scheduler.delivery import LEASE, deliver_handed
from scheduler.wake import Job, Waker
from storage.handoff import Handoff
from storage import wakeup


@dataclass
class Edges:
    desk: Desk
    channels: list[Channel] = field(default_factory=list)
    outlets: Outlets = field(default_factory=Outlets)
    waker: Waker | None = None   # the in-process worker loop, when the scheduler runs here
    web_only: bool = False       # `serve --no-scheduler`: a `baoxiu worker` process delivers
    # A photo came in since the last pass: only then does a pass look for media to fetch (the
    # tick fetches the rest), so a text message costs no media claim.
    _media_due: threading.Event = field(default_factory=threading.Event)

    def deliver_now(self, fetch_media: bool = False) -> None:
        """After a callback: wake the worker loop, in this process or in the worker process (the
        request path does no sending); with neither (tests, tools) deliver here, as before."""
        if self.waker is not None:
            if fetch_media:
                self._media_due.set()
            self.waker.wake()
        elif self.web_only:
            wakeup.notify(self.desk.engine)
        else:
            jobs.deliver_now(self.desk, self.outlets, fetch_media)

    def later(self, job: Job) -> bool:
        """Work a callback leaves for after its answer, on the worker loop when it runs in this
        process; False when there is none (the caller runs it after the answer itself)."""
        if self.waker is None:
            return False
        self.waker.later(job)
        return True

    def run_worker(self) -> None:
        """Deliveries (and photo fetches) on a thread of their own, woken by callbacks, which hand
        it their replies (storage.handoff)."""
        self.waker = Waker(self._pass).start()
        self.desk.handoff = Handoff(LEASE, self.waker.wake)

    def _pass(self) -> None:
        media = self._media_due.is_set()
        self._media_due.clear()
        if self.desk.handoff is not None:
            self._send_handed(self.desk.handoff)
        jobs.deliver_now(self.desk, self.outlets, fetch_media=media)

    def start(self) -> None:
        for channel in self.channels:
            channel.start()

    def stop(self) -> None:
        if self.waker is not None:   # first: its last pass still sends through the channels
            handoff, self.desk.handoff = self.desk.handoff, None
            self.waker.stop()
            self.waker = None
            if handoff is not None:   # handed over after the last pass: sent now, not when the lease runs out
                self._send_handed(handoff)
        for channel in self.channels:
            channel.stop()

    def _send_handed(self, handoff: Handoff) -> None:
        now = self.desk.clock()
        deliver_handed(self.desk, self.outlets.senders, handoff.take(now), now)


def wire(desk: Desk, web_only: bool = False) -> Edges:
    edges = Edges(desk, web_only=web_only)
    # The channels get the edges' hooks before the outlets exist; `deliver_now` reads them when called.
    edges.channels = build_channels(desk, edges)
    edges.outlets = outlets(edges.channels)
    return edges
