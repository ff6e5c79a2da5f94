"""The scheduler: APScheduler running the jobs inside `serve`, or alone in `baoxiu worker`."""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from scheduler.jobs import deliver_now, tick
from scheduler.ports import Host, Outlets
from scheduler.wake import Waker
from storage.wakeup import Listener

log = logging.getLogger("baoxiu.scheduler")


def start(desk: Host, outlets: Outlets) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=desk.rules.tz)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    scheduler.add_job(_safe_tick, "interval", args=(desk, outlets), id="tick", name="tick",
                      seconds=desk.settings.service.tick_seconds, max_instances=1, coalesce=True)
    scheduler.start()
    log.info("scheduler started, tick every %ss", desk.settings.service.tick_seconds)
    return scheduler


def _safe_tick(desk: Host, outlets: Outlets) -> None:
    try:
        tick(desk, outlets, desk.clock())
    except Exception:
        # One bad tick must not stop the scheduler; the next one retries.
        log.exception("scheduled tick failed")


def run_forever(desk: Host, outlets: Outlets, engine: Engine) -> None:
    """`baoxiu worker`: the ticks, and a delivery pass whenever a web process queued notices."""
    scheduler = start(desk, outlets)
    stop_deliveries = deliveries(desk, outlets, engine)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    stop_deliveries()
    scheduler.shutdown()


def deliveries(desk: Host, outlets: Outlets, engine: Engine) -> Callable[[], None]:
    """A delivery pass (and photo fetches) whenever a web process committed work; how to stop it."""
    waker = Waker(lambda: deliver_now(desk, outlets, fetch_media=True)).start()
    listener = Listener(engine, waker.wake).start()

    def stop() -> None:
        listener.stop()
        waker.stop()
    return stop
