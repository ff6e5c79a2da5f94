"""The worker loop's delivery: woken when a callback queued something, never polling per request.

A callback used to send its replies and fetch its photos itself, after answering: a delivery
pass (several transactions, a claim that writes even with nothing to send) per message. With
the scheduler in the same process, the callback only sets an event; this thread wakes and runs
one delivery pass for every callback that came in meanwhile, so a burst of messages costs a
few passes, not one each. Work a callback leaves for after its answer (a card sweep, a 微信客服
pull) is handed to this thread too (`later`), and runs before the next pass; a job alone (a card
sweep after a message answered in its callback) runs no pass: nothing was queued.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger("baoxiu.scheduler")
Job = Callable[[], None]


class Waker:
    def __init__(self, work: Job, name: str = "baoxiu-delivery") -> None:
        self._work = work
        self._due = threading.Event()
        self._pass = False   # a pass was asked for (not only jobs)
        self._jobs: deque[Job] = deque()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> Waker:
        self._thread.start()
        return self

    def wake(self) -> None:
        """Ask for one more pass; wakes while a pass runs fold into the next one."""
        self._pass = True
        self._due.set()

    def later(self, job: Job) -> None:
        """Run `job` on the loop's thread soon, before its next pass; a job that queues something
        asks for the pass itself (`wake`)."""
        self._jobs.append(job)
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
            while self._jobs:
                _quietly(self._jobs.popleft(), "job")
            if self._pass:
                self._pass = False   # before the pass: a wake during it asks for the next one
                _quietly(self._work, "delivery pass")


def _quietly(job: Job, what: str) -> None:
    try:
        job()
    except Exception as e:  # the next wake or tick retries; the thread must live on
        log.error("%s failed: %s", what, type(e).__name__)
