"""What the scheduler needs from the application around it, declared here so it imports nothing above.

`Host` is read from the desk the composition root builds; `Outlets` are the chat platforms' parts
the jobs use (senders, media fetchers, each platform's own due work), handed in by the caller.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from domain.rules import Rules
from scheduler.outbound import Sender
from storage.uow import SqlUnitOfWork


class OutboxTuning(Protocol):
    @property
    def max_attempts(self) -> int: ...
    @property
    def backoff_seconds(self) -> float: ...


class ServiceTuning(Protocol):
    @property
    def tick_seconds(self) -> float: ...


class DocumentTuning(Protocol):
    @property
    def company(self) -> str: ...
    @property
    def logo(self) -> str: ...
    @property
    def confirmation_template(self) -> str: ...


class HostSettings(Protocol):
    @property
    def outbox(self) -> OutboxTuning: ...
    @property
    def documents(self) -> DocumentTuning: ...
    @property
    def base_dir(self) -> Path: ...
    @property
    def service(self) -> ServiceTuning: ...
    def media_path(self) -> Path: ...


class Host(Protocol):
    @property
    def settings(self) -> HostSettings: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    def uow(self, readonly: bool = False) -> SqlUnitOfWork: ...


@dataclass(frozen=True)
class Outlets:
    senders: Mapping[str, Sender] = field(default_factory=dict)                   # channel name -> sender
    fetchers: Mapping[str, Callable[[str], bytes]] = field(default_factory=dict)  # channel name -> media fetch
    ticks: Mapping[str, Callable[[], int]] = field(default_factory=dict)          # platform -> its due work
