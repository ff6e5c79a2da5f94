"""Spare parts and stock. Every stock change is one guarded UPDATE, so stock never goes negative."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (CompoundSelect, Select, Table, bindparam, literal, null, select, text, type_coerce,
                        union_all, update)
from sqlalchemy.orm import Session

from domain.model import Part, Reservation, Stock
from storage.tables import PartRow, ReservationRow, StockRow, TicketRow


USAGE_LIMIT = 500   # used parts read per product, newest first
# What an offer reads for its parts line, built once (building costs more than running them).
USAGE = (select(ReservationRow.part_sku, ReservationRow.quantity, TicketRow.description)
         .join(TicketRow, TicketRow.id == ReservationRow.ticket_id)
         .where(TicketRow.product_sku == bindparam("product"), ReservationRow.status == "used")
         .order_by(ReservationRow.id.desc()).limit(bindparam("limit")))
_FITS = {  # `fits` is a JSON list of product SKUs: matched in the database, not by reading every part
    "sqlite": "EXISTS (SELECT 1 FROM json_each(parts.fits) WHERE json_each.value = :product)",
    "postgresql": "CAST(parts.fits AS jsonb) @> jsonb_build_array(CAST(:product AS text))",
}


@lru_cache(maxsize=4)
def _fitting(dialect: str) -> Select[Any]:
    return select(PartRow).where(text(_FITS[dialect])).order_by(PartRow.sku)


@lru_cache(maxsize=4)
def _usage_and_fitting(dialect: str) -> CompoundSelect:
    """`fitting` and `usage` as one statement (an offer's parts line needs both): the fitting parts
    first, so their typed columns (JSON lists) type the result, then the used parts, newest first."""
    return usage_and_fitting_rows(dialect).order_by(text("kind"), text("rid DESC"), text("sku"))


PARTS_READ = ("rid", *(c.name for c in cast(Table, PartRow.__table__).columns), "quantity", "description")


def parts_read(rows: Iterable[Any]) -> tuple[list[tuple[str, int, str]], list[Part]]:
    """(usage, fitting) from rows of `usage_and_fitting_rows`, in their order."""
    usage: list[tuple[str, int, str]] = []
    fitting: list[Part] = []
    for row in rows:
        if row.kind:
            usage.append((row.sku, int(row.quantity), row.description or ""))
        else:
            fitting.append(_part(row))
    return usage, fitting


@lru_cache(maxsize=4)
def usage_and_fitting_rows(dialect: str) -> CompoundSelect:
    """The rows of `usage_and_fitting` in no order (`kind` 0: fitting, 1: used; `rid`: the
    reservation, newest first), to read along with other rows."""
    parts = cast(Table, PartRow.__table__)
    fitting = select(literal(0).label("kind"), null().label("rid"), *parts.columns,
                     null().label("quantity"),
                     type_coerce(null(), TicketRow.description.type).label("description"),   # sealed: opened
                     ).where(text(_FITS[dialect]))
    used = USAGE.add_columns(ReservationRow.id.label("rid")).subquery("used")
    usage = select(literal(1), used.c.rid, used.c.part_sku, null(), null(), null(), null(),
                   used.c.quantity, used.c.description)
    return union_all(fitting, usage)


def _part(row: PartRow) -> Part:
    return Part(row.sku, row.name, row.price_cents, tuple(row.fits or ()), tuple(row.aliases or ()))


class SqlParts:
    def __init__(self, session: Session) -> None:
        self.s = session

    def part(self, sku: str) -> Part | None:
        row = self.s.get(PartRow, sku)
        return _part(row) if row else None

    def find(self, ref: str) -> Part | None:
        """By SKU, or by name when exactly one part is called that."""
        found = self.part(ref) or self.part(ref.upper())
        if found:
            return found
        rows = list(self.s.scalars(select(PartRow).where(PartRow.name == ref)))
        return _part(rows[0]) if len(rows) == 1 else None

    def all(self) -> list[Part]:
        """The whole catalog of parts: hundreds of rows, read to match what a technician wrote."""
        return [_part(r) for r in self.s.scalars(select(PartRow).order_by(PartRow.sku))]

    def fitting(self, product_sku: str) -> list[Part]:
        rows = self.s.scalars(_fitting(self.s.get_bind().dialect.name), {"product": product_sku})
        return [_part(r) for r in rows]

    def usage_and_fitting(self, product_sku: str,
                          limit: int = USAGE_LIMIT) -> tuple[list[tuple[str, int, str]], list[Part]]:
        """`usage` and `fitting` in one read."""
        stmt = _usage_and_fitting(self.s.get_bind().dialect.name)
        return parts_read(self.s.execute(stmt, {"product": product_sku, "limit": limit}))

    def usage(self, product_sku: str, limit: int = USAGE_LIMIT) -> list[tuple[str, int, str]]:
        """(part, quantity, job description) for parts used on the newest jobs for this product."""
        rows = self.s.execute(USAGE, {"product": product_sku, "limit": limit})
        return [(sku, int(n), description or "") for sku, n, description in rows]

    def stock(self, part_sku: str) -> list[Stock]:
        rows = self.s.scalars(select(StockRow).where(StockRow.part_sku == part_sku).order_by(StockRow.location))
        return [Stock(r.location, r.quantity - r.reserved, r.low_at) for r in rows]

    def reserve(self, part_sku: str, location: str, quantity: int) -> bool:
        """Atomic: succeeds only while enough is free; concurrent reservations cannot overdraw."""
        free = StockRow.quantity - StockRow.reserved
        result = self.s.execute(update(StockRow).where(StockRow.part_sku == part_sku, StockRow.location == location,
                                                       free >= quantity)
                                .values(reserved=StockRow.reserved + quantity))
        return result.rowcount == 1  # type: ignore[attr-defined]

    def take(self, part_sku: str, location: str, quantity: int, reserved: int = 0) -> bool:
        """Remove parts from stock; `reserved` of them had been set aside for this job."""
        free = StockRow.quantity - StockRow.reserved
        result = self.s.execute(update(StockRow).where(
            StockRow.part_sku == part_sku, StockRow.location == location,
            StockRow.reserved >= reserved, free + reserved >= quantity)
            .values(quantity=StockRow.quantity - quantity, reserved=StockRow.reserved - reserved))
        return result.rowcount == 1  # type: ignore[attr-defined]

    def release(self, part_sku: str, location: str, quantity: int) -> None:
        self.s.execute(update(StockRow).where(StockRow.part_sku == part_sku, StockRow.location == location,
                                              StockRow.reserved >= quantity)
                       .values(reserved=StockRow.reserved - quantity))

    def add_reservation(self, ticket_id: int, part_sku: str, location: str, quantity: int, now: datetime) -> None:
        self.s.add(ReservationRow(ticket_id=ticket_id, part_sku=part_sku, location=location, quantity=quantity,
                                  status="reserved", created_at=now))
        self.s.flush()

    def reservations(self, ticket_id: int) -> list[Reservation]:
        rows = self.s.scalars(select(ReservationRow).where(ReservationRow.ticket_id == ticket_id)
                              .order_by(ReservationRow.id))
        return [Reservation(r.id, r.part_sku, r.location, r.quantity, r.status) for r in rows]

    def set_status(self, reservation_id: int, status: str, quantity: int | None = None) -> None:
        values: dict[str, object] = {"status": status}
        if quantity is not None:
            values["quantity"] = quantity
        self.s.execute(update(ReservationRow).where(ReservationRow.id == reservation_id).values(**values))

    def record_use(self, ticket_id: int, part_sku: str, location: str, quantity: int, now: datetime) -> None:
        self.s.add(ReservationRow(ticket_id=ticket_id, part_sku=part_sku, location=location, quantity=quantity,
                                  status="used", created_at=now))
        self.s.flush()
