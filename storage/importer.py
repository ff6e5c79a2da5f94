"""Bulk CSV import of master data: technicians, staff, products and communities.

A file is checked in full before anything is written, so the operator gets every
problem at once and a half-imported roster never reaches the dispatcher.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import String, Table, select
from sqlalchemy.orm import Session

from domain.model import Role
from storage.csv_rows import ImportFailed, _int, _list, _phone, _required, _required_list, _show, read_rows
from storage.identities import PLATFORM_IDS, SqlIdentities
from storage.import_stock import IMPORTERS
from storage.tables import Base, CommunityRow, IdentityRow, ProductRow, StaffRow, TechnicianRow

KINDS = ("technicians", "staff", "products", "sites")
STOCK_KINDS = ("parts", "stock", "purchases")   # checked against rows already in the database
ALL_KINDS = KINDS + STOCK_KINDS

DEFAULT_CAPACITY = 4
_KEY_CHUNK = 500  # stays well under SQLite's bound-parameter limit

ROLE_NAMES: dict[str, Role] = {
    "dispatcher": Role.DISPATCHER,
    "manager": Role.MANAGER,
    "admin": Role.ADMIN,
    "派单员": Role.DISPATCHER,
    "客服": Role.DISPATCHER,
    "主管": Role.MANAGER,
    "经理": Role.MANAGER,
    "管理员": Role.ADMIN,
}


@dataclass(frozen=True)
class _Spec:
    row_type: type[Base]
    key: str  # CSV column holding the primary key
    columns: tuple[str, ...]
    parse: Callable[[dict[str, str], list[str]], dict[str, Any]]
    on_insert: dict[str, Any]  # state the file does not carry, set only for new rows


def import_csv(session: Session, kind: str, path: Path | str, today: date | None = None) -> int:
    """Validate the whole file, then upsert every row and flush; the caller commits.

    `today` (the desk's local date) is what a purchase date may not be after."""
    if kind in STOCK_KINDS:
        return IMPORTERS[kind](session, Path(path), today or date.today())
    spec = _SPECS.get(kind)
    if spec is None:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(ALL_KINDS)}")
    records = _read_records(Path(path), spec)
    _upsert(session, spec, records)
    session.flush()
    return len(records)


# --- reading and validating -------------------------------------------------


def _read_records(path: Path, spec: _Spec) -> list[dict[str, Any]]:
    rows, problems = read_rows(path, spec.columns)
    records: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for line, values in rows:
        errors: list[str] = []
        record = spec.parse(values, errors)
        errors.extend(_length_errors(spec, record))
        errors.extend(_duplicate_errors(spec, values[spec.key], line, first_seen))
        problems.extend((line, e) for e in errors)
        if not errors:
            records.append(record)
    if problems:
        raise ImportFailed(problems)
    return records


def _duplicate_errors(spec: _Spec, key: str, line: int, first_seen: dict[str, int]) -> list[str]:
    if not key:
        return []  # already reported as empty
    if key in first_seen:
        return [f"duplicate {spec.key} {_show(key)} (first on line {first_seen[key]})"]
    first_seen[key] = line
    return []


def _length_errors(spec: _Spec, record: dict[str, Any]) -> list[str]:
    """Checked here because PostgreSQL would reject an over-long value only at flush."""
    errors = []
    pk = _pk_attr(spec)
    for attr, value in record.items():
        table = IdentityRow.__table__ if attr in PLATFORM_ID_COLUMNS else spec.row_type.__table__
        column_type = table.columns[PLATFORM_ID_COLUMNS.get(attr, attr)].type
        if isinstance(value, str) and isinstance(column_type, String) and column_type.length:
            if len(value) > column_type.length:
                label = spec.key if attr == pk else attr  # name the CSV column, not the table's
                errors.append(f"{label} is longer than {column_type.length} characters")
    return errors


def _role(value: str, errors: list[str]) -> str:
    role = ROLE_NAMES.get(value.lower())
    if role is None:
        errors.append(f"role {_show(value)} is not one of dispatcher, manager, admin (派单员/客服, 主管/经理, 管理员)")
        return ""
    return role.value


# CSV column -> the identities column it is stored in
PLATFORM_ID_COLUMNS = {f"{channel}_userid": "external_id" for channel in PLATFORM_IDS}


# --- per-kind parsers ---------------------------------------------------------


def _parse_technician(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    capacity = values["capacity"]
    return {
        "id": _required(values, "id", errors),
        "name": _required(values, "name", errors),
        "phone": _phone(values["phone"], errors),
        # a technician without a skill could never be offered a job
        "skills": _required_list(values, "skills", errors),
        "regions": _list(values["regions"]),
        "capacity": _int(capacity, "capacity", errors, positive=True) if capacity else DEFAULT_CAPACITY,
        "wecom_userid": values["wecom_userid"],
        "dingtalk_userid": values["dingtalk_userid"],
    }


def _parse_staff(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    return {
        "id": _required(values, "id", errors),
        "name": _required(values, "name", errors),
        "role": _role(values["role"], errors),
        "wecom_userid": values["wecom_userid"],
        "dingtalk_userid": values["dingtalk_userid"],
    }


def _parse_product(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    return {
        "sku": _required(values, "sku", errors),
        "name": _required(values, "name", errors),
        "category": values["category"],
        "aliases": _list(values["aliases"]),
        # a product without a skill could never be dispatched to anyone
        "skill": _required(values, "skill", errors),
        "warranty_months": _int(values["warranty_months"], "warranty_months", errors, positive=False),
    }


def _parse_site(values: dict[str, str], errors: list[str]) -> dict[str, Any]:
    return {
        "name": _required(values, "community", errors),
        "region": values["region"],
        "address": values["address"],
    }


_SPECS: dict[str, _Spec] = {
    "technicians": _Spec(
        TechnicianRow, "id",
        ("id", "name", "phone", "skills", "regions", "capacity", "wecom_userid", "dingtalk_userid"),
        _parse_technician, {"on_duty": True, "active": True},
    ),
    "staff": _Spec(
        StaffRow, "id", ("id", "name", "role", "wecom_userid", "dingtalk_userid"),
        _parse_staff, {"active": True},
    ),
    "products": _Spec(
        ProductRow, "sku", ("sku", "name", "category", "aliases", "skill", "warranty_months"),
        _parse_product, {},
    ),
    "sites": _Spec(CommunityRow, "community", ("community", "region", "address"), _parse_site, {}),
}


# --- writing ----------------------------------------------------------------


def _pk_attr(spec: _Spec) -> str:
    return cast(Table, spec.row_type.__table__).primary_key.columns.values()[0].key


def _upsert(session: Session, spec: _Spec, records: list[dict[str, Any]]) -> None:
    pk = _pk_attr(spec)
    existing = _load_existing(session, spec.row_type, pk, [r[pk] for r in records])
    identities = SqlIdentities(session)
    for record in records:
        # Platform user ids live in the identities table, not on the person's row.
        platform_ids = {channel: record.pop(f"{channel}_userid") for channel in PLATFORM_IDS
                        if f"{channel}_userid" in record}
        if platform_ids:
            role = Role.TECHNICIAN if spec.row_type is TechnicianRow else record["role"]
            for channel, user_id in platform_ids.items():
                identities.set_platform_id(channel, str(role), record[pk], user_id)
        row = existing.get(record[pk])
        if row is None:
            session.add(spec.row_type(**spec.on_insert, **record))
        else:
            # only the file's columns change: on_duty, active and dispatch history stay as they were
            for attr, value in record.items():
                setattr(row, attr, value)


def _load_existing(session: Session, row_type: type[Base], pk: str, keys: list[str]) -> dict[str, Any]:
    column = getattr(row_type, pk)
    found: dict[str, Any] = {}
    for start in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[start : start + _KEY_CHUNK]
        for row in session.scalars(select(row_type).where(column.in_(chunk))):
            found[getattr(row, pk)] = row
    return found
