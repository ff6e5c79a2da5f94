"""Which process holds the AI bot's one long connection: a lease in the database.

WeCom keeps one live connection per bot and drops the older one when another subscribes, so
several `serve` / `worker` processes must not each connect. Each is a candidate; the one that
takes the lease connects and renews it every lease/4 seconds. A holder that stops cleanly gives
it back (the next candidate connects at its next look); one that dies (kill -9) stops renewing,
and once the lease has run out a candidate takes it over, within lease + lease/4 seconds.
Times come from the desk's clock, so tests move time instead of waiting.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from bot.bootstrap import Desk
from storage import leases

log = logging.getLogger("baoxiu.wecom_bot")
NAME = "wecom_bot"


def holder_name() -> str:
    """Host, process and a random tail: a restarted process with a reused pid is someone else."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(self, desk: Desk, seconds: int, holder: str | None = None, name: str = NAME) -> None:
        self.desk, self.ttl, self.name = desk, timedelta(seconds=seconds), name
        self.holder = holder or holder_name()
        self.renew_every = seconds / 4

    def take(self) -> bool:
        """Take or renew it; False (never raises) when another holds it or the database is away."""
        try:
            with self.desk.uow() as uow:
                taken = leases.take(uow.session, self.name, self.holder, self.desk.clock(), self.ttl)
                uow.commit()
                return taken
        except SQLAlchemyError as e:
            # Without the database nobody can tell who holds it; a holder that cannot renew lets
            # its connection go rather than risk two.
            log.warning("WeCom AI bot lease not renewed (%s)", type(e).__name__)
            return False

    def held_by_other(self) -> bool:
        """Someone else holds it; True as well when the database cannot say (step back, look again)."""
        try:
            held = self.current()
        except SQLAlchemyError:
            return True
        return held is not None and held[0] != self.holder

    def current(self) -> tuple[str, object] | None:
        with self.desk.uow() as uow:
            return leases.holder_of(uow.session, self.name, self.desk.clock())

    def give_back(self) -> None:
        try:
            with self.desk.uow() as uow:
                leases.give_back(uow.session, self.name, self.holder)
                uow.commit()
        except SQLAlchemyError as e:
            log.warning("WeCom AI bot lease not given back (%s); it runs out by itself", type(e).__name__)
