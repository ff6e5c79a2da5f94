"""The sending port: what the scheduler hands a chat platform, and how a platform says no."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from domain.charts import ChartFigures
from scheduler.attachments import Attachment
from scheduler.wake import Job


class DeliveryError(Exception):
    """The platform did not take the message.

    retry: trying later can help (rate limits, network); False sends it to the dead letters.
    hold: the platform only accepts it after the person writes again (e.g. 微信客服's
    48-hour window); the notice waits for that instead of being retried on a timer.
    retry_after: pacing (a per-person rate limit): try again then, and it is not a failed attempt.
    unsure: the request was written but its answer never came (a read timeout, a dropped
    connection), on a platform call that has no idempotency key: the message may well have
    arrived, so it is not sent again (that could say it twice) but marked for a person to check.
    """

    def __init__(self, message: str, retry: bool = True, hold: bool = False,
                 retry_after: timedelta | None = None, unsure: bool = False) -> None:
        super().__init__(message)
        self.retry = retry and not unsure
        self.hold = hold
        self.retry_after = retry_after
        self.unsure = unsure


@dataclass(frozen=True)
class Outgoing:
    to: str                          # the platform's address for the person or chat
    text: str
    buttons: tuple[str, ...] = ()    # each is the command text a press sends back
    key: str = ""                    # idempotency key, unique per message, stable across retries
    kind: str = ""                   # offer, accepted, offer_taken, survey, reply, … (cards may differ by kind)
    ticket_number: str | None = None
    attachment: Attachment | None = None   # an image or file sent with the text (rendered by the worker)
    chart: ChartFigures | None = None      # the figures behind a chart image, for platforms that draw their own


class Sender(Protocol):
    name: str

    def send(self, message: Outgoing) -> None:
        """Deliver or raise DeliveryError."""
        ...


class DeliverNow(Protocol):
    """Handed to each channel: send what is due now (and fetch photos that came in) instead of at
    the next tick, after a callback is answered. Channels never call the scheduler themselves."""

    def __call__(self, fetch_media: bool = False) -> None: ...


class Hooks(Protocol):
    """What the wiring hands each channel as it is built (bot.wiring.Edges)."""

    def deliver_now(self, fetch_media: bool = False) -> None:
        """As `DeliverNow`."""

    def later(self, job: Job) -> bool:
        """Work a callback leaves for after its answer, run on the worker loop when this process
        has one; False when it has none (the channel then runs it after the answer itself)."""
