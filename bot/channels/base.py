"""The outbound half of a chat platform: deliver a rendered notice to one person."""
from __future__ import annotations

from typing import Protocol


class DeliveryError(Exception):
    """The platform did not take the message; `retry` says whether trying later can help."""

    def __init__(self, message: str, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


class Sender(Protocol):
    name: str

    def send(self, to: str, text: str, buttons: tuple[str, ...], key: str) -> None:
        """Deliver or raise DeliveryError. `key` is the notice's idempotency key."""
        ...
