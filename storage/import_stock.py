"""CSV import of spare parts, stock and purchases: rows that refer to rows already loaded.

Same conventions as storage.importer, read by the same storage.csv_rows: the whole file is checked
first, every problem is named by its line, and nothing is written unless every line is good.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.csv_rows import ImportFailed, Problem, _int, _list, _show, read_rows
from storage.purchases import FIELDS, check_sales, record_sales
from storage.tables import PartRow, ProductRow, StockRow, TechnicianRow

PART_COLUMNS = ("sku", "name", "price", "fits")
STOCK_COLUMNS = ("sku", "location", "quantity", "low_at")
DEFAULT_LOW_AT = 2
_PRICE = re.compile(r"\d{1,7}(\.\d{1,2})?")
VAN = "van:"


def _price(value: str, errors: list[str]) -> int:
    if not _PRICE.fullmatch(value):
        errors.append(f"price {_show(value)} is not an amount in yuan like 45 or 45.50")
        return 0
    yuan, _, fen = value.partition(".")
    return int(yuan) * 100 + int(fen.ljust(2, "0") or 0)


def _part(values: dict[str, str], products: set[str]) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    for name, limit in (("sku", 40), ("name", 80)):
        if not values[name]:
            errors.append(f"{name} is empty")
        elif len(values[name]) > limit:
            errors.append(f"{name} is longer than {limit} characters")
    fits = _list(values["fits"])
    errors += [f"fits: no product with SKU {_show(sku)}" for sku in fits if sku not in products]
    record = {"sku": values["sku"], "name": values["name"], "price_cents": _price(values["price"], errors),
              "fits": fits}
    return record, errors


def import_parts(session: Session, path: Path, today: date) -> int:
    rows, problems = read_rows(path, PART_COLUMNS)
    products = set(session.scalars(select(ProductRow.sku)))
    records = _checked(rows, problems, lambda v: _part(v, products), lambda v: v["sku"], "sku")
    for record in records:
        row = session.get(PartRow, record["sku"])
        if row is None:
            session.add(PartRow(**record))
        else:
            row.name, row.price_cents, row.fits = record["name"], record["price_cents"], record["fits"]
    session.flush()
    return len(records)


def _stock(session: Session, values: dict[str, str], parts: set[str]) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    sku, location = values["sku"], values["location"]
    if not sku:
        errors.append("sku is empty")
    elif sku not in parts:
        errors.append(f"sku {_show(sku)} matches no part; import parts first")
    if not location:
        errors.append("location is empty")
    elif len(location) > 40:
        errors.append("location is longer than 40 characters")
    elif location.startswith(VAN) and session.get(TechnicianRow, location.removeprefix(VAN)) is None:
        errors.append(f"location {_show(location)}: no technician with that id")
    quantity = _int(values["quantity"], "quantity", errors, positive=False)
    low_at = _int(values["low_at"], "low_at", errors, positive=False) if values["low_at"] else DEFAULT_LOW_AT
    existing = session.get(StockRow, (sku, location)) if sku and location else None
    if existing is not None and not errors and quantity < existing.reserved:
        errors.append(f"quantity {quantity} is below the {existing.reserved} reserved for open jobs")
    return {"part_sku": sku, "location": location, "quantity": quantity, "low_at": low_at}, errors


def import_stock(session: Session, path: Path, today: date) -> int:
    rows, problems = read_rows(path, STOCK_COLUMNS)
    parts = set(session.scalars(select(PartRow.sku)))
    records = _checked(rows, problems, lambda v: _stock(session, v, parts),
                       lambda v: f"{v['sku']} @ {v['location']}", "sku and location")
    for record in records:
        row = session.get(StockRow, (record["part_sku"], record["location"]))
        if row is None:
            session.add(StockRow(reserved=0, **record))
        else:
            row.quantity, row.low_at = record["quantity"], record["low_at"]
    session.flush()
    return len(records)


def import_purchases(session: Session, path: Path, today: date) -> int:
    rows, problems = read_rows(path, FIELDS)
    sales, sale_problems = check_sales(session, rows, today)
    problems += [(line, f"{field} {message}") for line, field, message in sale_problems]
    if problems:
        raise ImportFailed(problems)
    record_sales(session, sales)
    return len(sales)


def _checked(rows: list[tuple[int, dict[str, str]]], problems: list[Problem],
             check: Callable[[dict[str, str]], tuple[dict[str, Any], list[str]]],
             key: Callable[[dict[str, str]], str], key_name: str) -> list[dict[str, Any]]:
    """Every row's problems plus repeats of a key; raises with all of them, or returns the records."""
    records: list[dict[str, Any]] = []
    first: dict[str, int] = {}
    for line, values in rows:
        record, errors = check(values)
        k = key(values)
        if k in first:
            errors.append(f"duplicate {key_name} {_show(k)} (first on line {first[k]})")
        first.setdefault(k, line)
        problems += [(line, e) for e in errors]
        records.append(record)
    if problems:
        raise ImportFailed(problems)
    return records


IMPORTERS: dict[str, Callable[[Session, Path, date], int]] = {
    "parts": import_parts, "stock": import_stock, "purchases": import_purchases}
