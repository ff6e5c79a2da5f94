"""The people, places and things a ticket refers to."""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    MANAGER = "manager"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ADMIN})


@dataclass
class Customer:
    phone: str
    name: str = ""
    id: int | None = None


@dataclass
class Community:
    name: str
    region: str = ""
    address: str = ""


@dataclass
class Site:
    """One place a job happens: a room in a community (or a public area when no room)."""

    community: str
    building: str = ""
    unit: str = ""
    room: str = ""
    region: str = ""
    id: int | None = None

    def label(self) -> str:
        parts = [self.community, self.building and f"{self.building}栋",
                 self.unit and f"{self.unit}单元", self.room and f"{self.room}室"]
        return "".join(p for p in parts if p)


@dataclass
class Technician:
    id: str
    name: str
    phone: str = ""
    skills: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    capacity: int = 4
    on_duty: bool = True
    active: bool = True


@dataclass
class Staff:
    id: str
    name: str
    role: Role
    active: bool = True


@dataclass
class Product:
    sku: str
    name: str
    category: str
    skill: str
    warranty_months: int = 12
    aliases: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class Asset:
    sku: str
    customer_id: int
    serial: str | None = None
    site_id: int | None = None
    purchase_date: date | None = None
    install_date: date | None = None
    warranty_end: date | None = None
    id: int | None = None

    def warranty_on(self, day: date) -> str:
        """in / expired / unknown on that day."""
        if self.warranty_end is None:
            return "unknown"
        return "in" if day <= self.warranty_end else "expired"


@dataclass(frozen=True)
class Part:
    """A spare part; `fits` lists the product SKUs it belongs to, `aliases` what technicians call it."""

    sku: str
    name: str
    price_cents: int
    fits: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stock:
    location: str
    free: int
    low_at: int


@dataclass(frozen=True)
class Reservation:
    id: int
    part_sku: str
    location: str
    quantity: int
    status: str


def warranty_end(install: date, months: int) -> date:
    """The last day covered: same day `months` later, clamped to the month's end."""
    y, m = divmod(install.month - 1 + months, 12)
    year, month = install.year + y, m + 1
    return date(year, month, min(install.day, calendar.monthrange(year, month)[1]))


def mask_phone(phone: str) -> str:
    """138****8000: enough to recognise, not enough to call."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


# An 11-digit mainland mobile, optionally as +86 / 0086 / 86, spaced 3-4-4 or not; longer digit runs
# (order numbers, ID numbers) are left alone.
_MOBILE = re.compile(r"(?<![\d０-９])(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d０-９])")
_FULL_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")
# Cheap scans first: most texts hold no full-width digit and no 1[3-9]x at all (translating costs
# more than searching, and `_MOBILE`, led by a lookbehind, is tried at every position).
_FULL_WIDTH = re.compile("[０-９＋]")
_MOBILE_HEAD = re.compile(r"1[3-9]\d")


def mask_phones(text: str | None) -> str:
    """Free text people typed (hold reasons, notes, comments) with every mobile number masked."""
    if not text:
        return ""
    folded = text.translate(_FULL_DIGITS) if _FULL_WIDTH.search(text) else text
    if not _MOBILE_HEAD.search(folded) or not _MOBILE.search(folded):
        return text  # untouched, full-width punctuation and all
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", folded)
