"""The scheduler: APScheduler running the jobs inside `serve`, or alone in `baoxiu worker`."""
from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from bot.bootstrap import Desk
from bot.channels.base import Sender
from scheduler.jobs import tick

log = logging.getLogger("baoxiu.scheduler")


def platform_senders(desk: Desk) -> dict[str, Sender]:
    """The outbound clients of the platforms that are configured (none in the embedded default)."""
    from bot.platforms import senders

    return senders(desk)


def start(desk: Desk) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=desk.rules.tz)
    senders = platform_senders(desk)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    scheduler.add_job(_safe_tick, "interval", args=(desk, senders), id="tick", name="tick",
                      seconds=desk.settings.service.tick_seconds, max_instances=1, coalesce=True)
    scheduler.start()
    log.info("scheduler started, tick every %ss", desk.settings.service.tick_seconds)
    return scheduler


def _safe_tick(desk: Desk, senders: dict[str, Sender]) -> None:
    try:
        tick(desk, senders, desk.clock())
    except Exception:
        # One bad tick must not stop the scheduler; the next one retries.
        log.exception("scheduled tick failed")


def run_forever(desk: Desk) -> None:
    scheduler = start(desk)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    scheduler.shutdown()
