"""The worker loop runs a delivery pass when woken, and folds wakes that come during a pass into one;
work handed to it runs there, and alone asks for no pass."""
from __future__ import annotations

import threading

from scheduler.wake import Waker


def test_a_wake_runs_one_pass_on_the_worker_thread_and_wakes_during_a_pass_fold_into_one() -> None:
    passes: list[str] = []
    inside, release, second = threading.Event(), threading.Event(), threading.Event()

    def work() -> None:
        passes.append(threading.current_thread().name)
        if len(passes) == 1:
            inside.set()
            release.wait(5)
        else:
            second.set()

    waker = Waker(work).start()
    try:
        waker.wake()
        assert inside.wait(5)
        for _ in range(20):   # twenty callbacks while the first pass sends
            waker.wake()
        release.set()
        assert second.wait(5)
    finally:
        waker.stop()
    assert passes == ["baoxiu-delivery", "baoxiu-delivery"]


def test_a_failing_pass_does_not_stop_the_loop() -> None:
    done = threading.Event()
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("platform down")
        done.set()

    waker = Waker(work).start()
    try:
        waker.wake()
        while not done.is_set() and len(calls) < 2:
            waker.wake()
            done.wait(0.05)
        assert done.wait(5)
    finally:
        waker.stop()


def test_work_handed_over_runs_on_the_worker_thread_before_the_next_pass_and_alone_runs_none() -> None:
    order: list[str] = []
    ran, done = threading.Event(), threading.Event()

    def work() -> None:
        order.append("pass")
        done.set()

    waker = Waker(work).start()
    try:
        waker.later(lambda: (order.append(f"job on {threading.current_thread().name}"), ran.set()))
        assert ran.wait(5)                   # a job alone: a card sweep after a message answered in its callback
        waker.later(lambda: order.append("job that queued a notice"))
        waker.wake()
        assert done.wait(5)
    finally:
        waker.stop()
    assert order == ["job on baoxiu-delivery", "job that queued a notice", "pass"]
