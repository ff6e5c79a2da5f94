"""Rows to domain objects and back, by field name, so the two cannot drift apart silently."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from domain.model import Customer, Product, Site, Staff, Technician, Role
from domain.ticket import State, Ticket
from storage.tables import CustomerRow, ProductRow, SiteRow, StaffRow, TechnicianRow, TicketRow

T = TypeVar("T")

_TUPLES = {"skills", "regions", "aliases"}


def to_domain(cls: type[T], row: Any) -> T:
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name == "trail" or not hasattr(row, f.name):
            continue
        value = getattr(row, f.name)
        if f.name in _TUPLES:
            value = tuple(value or ())
        values[f.name] = value
    return cls(**values)


def ticket(row: TicketRow) -> Ticket:
    t = to_domain(Ticket, row)
    t.state = State(row.state)
    t.held_from = State(row.held_from) if row.held_from else None
    for name in ("declined", "photos", "offered", "sla_fired", "breaches"):
        setattr(t, name, list(getattr(row, name) or []))
    t.pauses = [_span(p) for p in row.pauses or []]
    return t


def _span(text: str) -> tuple[datetime, datetime]:
    start, end = text.split("/")
    return datetime.fromisoformat(start), datetime.fromisoformat(end)


def fill(row: Any, obj: Any) -> None:
    for name, value in values(type(row), obj).items():
        setattr(row, name, value)


def values(row_type: type, obj: Any) -> dict[str, Any]:
    """The columns of `row_type` that `obj` has a field for, as they are stored (id and trail aside)."""
    out = {}
    for f in fields(obj):
        if f.name in ("trail", "id") or not hasattr(row_type, f.name):
            continue
        value = getattr(obj, f.name)
        if f.name == "pauses":
            value = [f"{a.isoformat()}/{b.isoformat()}" for a, b in value]
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, list):
            value = list(value)
        out[f.name] = value
    return out


def customer(row: CustomerRow) -> Customer:
    return to_domain(Customer, row)


def technician(row: TechnicianRow) -> Technician:
    return to_domain(Technician, row)


def staff(row: StaffRow) -> Staff:
    s = to_domain(Staff, row)
    s.role = Role(row.role)
    return s


def product(row: ProductRow) -> Product:
    return to_domain(Product, row)


def site(row: SiteRow) -> Site:
    return to_domain(Site, row)
