"""What a person asks of a use case: small frozen objects, one per use case.

Use cases take `(uow, rules, now, command)`; the command says who asks and what for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.actors import Actor


@dataclass(frozen=True)
class OpenTicket:
    phone: str
    type: str
    priority: str
    description: str
    community: str = ""
    building: str = ""
    unit: str = ""
    room: str = ""
    product_sku: str | None = None
    preferred: tuple[datetime, datetime] | None = None
    photos: tuple[str, ...] = ()
    customer_name: str = ""
    asset_id: int | None = None
    by: Actor = field(kw_only=True)


@dataclass(frozen=True)
class AcceptOffer:
    number: str
    tech: Actor


@dataclass(frozen=True)
class RejectOffer:
    number: str
    tech: Actor
    reason: str = ""


@dataclass(frozen=True)
class BookVisit:
    number: str
    tech: Actor
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Depart:
    number: str
    tech: Actor


@dataclass(frozen=True)
class Arrive:
    number: str
    tech: Actor
    where: str = ""   # a shared location's label and coordinates, for the audit


@dataclass(frozen=True)
class Hold:
    number: str
    tech: Actor
    reason: str


@dataclass(frozen=True)
class Resume:
    number: str
    tech: Actor


@dataclass(frozen=True)
class Finish:
    number: str
    tech: Actor
    note: str
    parts: str


@dataclass(frozen=True)
class Confirm:
    number: str
    owner: Actor
    fixed: bool


@dataclass(frozen=True)
class Rate:
    number: str
    owner: Actor
    stars: int
    comment: str


@dataclass(frozen=True)
class Urge:
    number: str
    owner: Actor


@dataclass(frozen=True)
class Cancel:
    number: str
    owner: Actor
    reason: str


@dataclass(frozen=True)
class AttachPhoto:
    number: str
    actor: Actor   # the owner or the technician on the job
    media: str


@dataclass(frozen=True)
class NoteLocation:
    number: str
    actor: Actor
    where: str


@dataclass(frozen=True)
class Assign:
    number: str
    tech_ref: str   # a technician's id or name, as the desk typed it
    desk: Actor


@dataclass(frozen=True)
class SetPriority:
    number: str
    priority: str
    desk: Actor


@dataclass(frozen=True)
class CloseCallback:
    number: str
    desk: Actor
    note: str


@dataclass(frozen=True)
class ReservePart:
    number: str
    actor: Actor
    ref: str   # a part's sku or name
    quantity: int


@dataclass(frozen=True)
class ReleaseJobs:
    tech_id: str   # a technician who left the organisation
