"""Platform-neutral messages in and out of the conversation layer."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.actors import Actor
from handlers.ports import Desk


@dataclass(frozen=True)
class Place:
    """A location someone shared: what the map called it, and where it is."""

    label: str
    latitude: float | None = None
    longitude: float | None = None

    def describe(self) -> str:
        """For the audit trail: the label and the coordinates."""
        known = self.latitude is not None and self.longitude is not None
        coords = f"（{self.latitude:.6f}, {self.longitude:.6f}）" if known else ""
        return f"{self.label or '位置'}{coords}"[:300]


@dataclass(frozen=True)
class Inbound:
    channel: str                 # console, wecom, wecom_kf, dingtalk, api
    sender: str                  # the platform's id for the person (console: "owner:138…")
    text: str = ""
    msg_id: str | None = None    # the platform's message id, for dedup of retries
    media: str | None = None     # a photo: the platform's media reference
    phone: str | None = None     # a phone number the channel vouches for
    place: Place | None = None   # a shared location (its label is also the text)
    sent_at: datetime | None = None  # when the platform says it was sent: orders retries and new messages


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[str, ...] = ()


@dataclass
class Ctx:
    desk: Desk
    now: datetime
    inbound: Inbound
    actor: Actor
    phone: str | None = None            # the person's known phone (owners)
    replies: list[Reply] = field(default_factory=list)

    def say(self, text: str, buttons: tuple[str, ...] = ()) -> None:
        self.replies.append(Reply(text, buttons))
