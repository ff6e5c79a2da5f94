"""What the conversation layer needs from the application that runs it (bot/ builds it).

Declared here so handlers/ depends on nothing above it: bot's container satisfies this
protocol by its shape.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from domain.rules import Rules
from storage.handoff import Handoff
from storage.kv import KeyValueStore
from storage.uow import SqlUnitOfWork


class Desk(Protocol):
    @property
    def rules(self) -> Rules: ...
    @property
    def store(self) -> KeyValueStore: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def dialog_ttl(self) -> timedelta: ...   # how long an unfinished dialog (a report draft) is kept
    @property
    def handoff(self) -> Handoff | None: ...   # replies this process's delivery thread sends (storage.handoff)
    def uow(self, readonly: bool = False) -> SqlUnitOfWork: ...   # a readonly one takes no write lock


@dataclass(frozen=True)
class WithStore:
    """The same desk with another store in front (the router's staged store)."""

    desk: Desk
    store: KeyValueStore

    @property
    def rules(self) -> Rules:
        return self.desk.rules

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.desk.clock

    @property
    def dialog_ttl(self) -> timedelta:
        return self.desk.dialog_ttl

    @property
    def handoff(self) -> Handoff | None:
        return self.desk.handoff

    def uow(self, readonly: bool = False) -> SqlUnitOfWork:
        return self.desk.uow(readonly)
