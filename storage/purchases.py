"""Sales into assets: who bought what, installed where and when, and until when it is covered.

Shared by `baoxiu import purchases` and `POST /api/v1/purchases`. A batch is checked in full
first; problems name the position and the field but never the value (phone numbers are private).
The same sale arriving twice (same serial, or same customer, product, address and date) is
recorded once, so a shop system may safely push again after a timeout.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.model import warranty_end
from storage.tables import AssetRow, CommunityRow, CustomerRow, ProductRow, SiteRow

FIELDS = ("phone", "name", "community", "building", "unit", "room", "sku", "serial", "purchase_date", "install_date")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PUNCTUATION = re.compile(r"[\s-]")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_LENGTHS = {"name": 64, "community": 64, "building": 16, "unit": 16, "room": 16, "sku": 40, "serial": 64}

SaleProblem = tuple[int, str, str]   # (position: line or index, field, message without the value)


@dataclass(frozen=True)
class Sale:
    phone: str
    name: str
    community: str
    building: str
    unit: str
    room: str
    sku: str
    serial: str | None
    purchase_date: date
    install_date: date | None


def _date(value: str, field: str, today: date, errors: list[tuple[str, str]]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat("-".join(p.zfill(2) for p in value.split("-"))) if _DATE.fullmatch(value) else None
    except ValueError:
        day = None
    if day is None:
        errors.append((field, "is not a date like 2026-03-01"))
    elif day > today:
        errors.append((field, "is in the future"))
    return day


def _check_one(raw: dict[str, str], today: date, skus: set[str]) -> tuple[Sale | None, list[tuple[str, str]]]:
    v = {f: str(raw.get(f) or "").strip() for f in FIELDS}
    errors: list[tuple[str, str]] = []
    phone = _PHONE_PUNCTUATION.sub("", v["phone"])
    if not _MOBILE.fullmatch(phone):
        errors.append(("phone", "is not an 11-digit mainland mobile number"))
    for field in ("community", "sku", "purchase_date"):
        if not v[field]:
            errors.append((field, "is empty"))
    errors += [(f, f"is longer than {n} characters") for f, n in _LENGTHS.items() if len(v[f]) > n]
    if v["sku"] and v["sku"] not in skus:
        errors.append(("sku", "matches no product in the catalog"))
    bought = _date(v["purchase_date"], "purchase_date", today, errors)
    installed = _date(v["install_date"], "install_date", today, errors)
    if bought and installed and installed < bought:
        errors.append(("install_date", "is before purchase_date"))
    if errors or bought is None:
        return None, errors
    return Sale(phone, v["name"], v["community"], v["building"], v["unit"], v["room"], v["sku"],
                v["serial"] or None, bought, installed), []


def check_sales(session: Session, items: Sequence[tuple[int, dict[str, str]]], today: date
                ) -> tuple[list[Sale], list[SaleProblem]]:
    """Every problem in the batch, or the sales ready to record."""
    skus = set(session.scalars(select(ProductRow.sku)))
    sales: list[Sale] = []
    problems: list[SaleProblem] = []
    first: dict[str, int] = {}
    for position, raw in items:
        sale, errors = _check_one(raw, today, skus)
        problems += [(position, f, m) for f, m in errors]
        if sale is None:
            continue
        if sale.serial and sale.serial in first:
            problems.append((position, "serial", f"is repeated (first at {first[sale.serial]})"))
            continue
        if sale.serial:
            first[sale.serial] = position
        sales.append(sale)
        problems += [(position, "serial", m) for m in _serial_conflicts(session, sale)]
    return sales, problems


def _serial_conflicts(session: Session, sale: Sale) -> list[str]:
    if not sale.serial:
        return []
    asset = session.scalars(select(AssetRow).where(AssetRow.serial == sale.serial)).first()
    if asset is None:
        return []
    owner = session.get(CustomerRow, asset.customer_id)
    if owner is None or owner.phone != sale.phone:
        return ["already belongs to another customer"]
    if asset.sku != sale.sku:
        return ["is already recorded for another product"]
    return []


def record_sales(session: Session, sales: Sequence[Sale]) -> tuple[int, int]:
    """(created, already known). Flushes; the caller commits."""
    created = 0
    for sale in sales:
        created += _record(session, sale)
    session.flush()
    return created, len(sales) - created


def _customer(session: Session, sale: Sale) -> CustomerRow:
    row = session.scalars(select(CustomerRow).where(CustomerRow.phone_is(sale.phone))).first()
    if row is None:
        row = CustomerRow(phone=sale.phone, name=sale.name)
        session.add(row)
        session.flush()
    elif sale.name and not row.name:
        row.name = sale.name
    return row


def _site(session: Session, sale: Sale) -> SiteRow:
    key = dict(community=sale.community, building=sale.building, unit=sale.unit, room=sale.room)
    row = session.scalars(select(SiteRow).where(SiteRow.place_is(**key))).first()
    if row is None:
        community = session.get(CommunityRow, sale.community)
        row = SiteRow(region=community.region if community else "", **key)
        session.add(row)
        session.flush()
    return row


def _record(session: Session, sale: Sale) -> int:
    customer, site = _customer(session, sale), _site(session, sale)
    if sale.serial:
        known = select(AssetRow).where(AssetRow.serial == sale.serial)
    else:
        known = select(AssetRow).where(AssetRow.customer_id == customer.id, AssetRow.sku == sale.sku,
                                       AssetRow.site_id == site.id, AssetRow.serial.is_(None),
                                       AssetRow.purchase_date == sale.purchase_date)
    if session.scalars(known).first() is not None:
        return 0
    product = session.get(ProductRow, sale.sku)
    assert product is not None  # checked before
    start = sale.install_date or sale.purchase_date
    session.add(AssetRow(serial=sale.serial, sku=sale.sku, customer_id=customer.id, site_id=site.id,
                         purchase_date=sale.purchase_date, install_date=sale.install_date,
                         warranty_end=warranty_end(start, product.warranty_months)))
    session.flush()
    return 1
