"""The worker loop's delivery: woken when a callback queued something, never polling per request.

A callback used to send its replies and fetch its photos itself, after answering: a delivery
pass (several transactions, a claim that writes even with nothing to send) per message. With
the scheduler in the same process, the callback only sets an event; this thread wakes and runs
one delivery pass for every callback that came in meanwhile, so a burst of messages costs a
few passes, not one each.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("baoxiu.scheduler")


class Waker:
    def __init__(self, work: Callable[[], None], name: str = "baoxiu-delivery") -> None:
        self._work = work
        self._due = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Waker:
        self._thread.start()
        return self

    def wake(self) -> None:
        """Ask for one more pass; wakes while a pass runs fold into the next one."""
        self._due.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        self._due.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            if self._stopping:
                return
            try:
                self._work()
            except Exception as e:  # the next wake or tick retries; the thread must live on
                log.error("delivery pass failed: %s", type(e).__name__)
