"""Bulk CSV import of master data: technicians, staff, products and communities.

A file is checked in full before anything is written, so the operator gets every
problem at once and a half-imported roster never reaches the dispatcher.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import String, select
from sqlalchemy.orm import Session

from domain.model import Role, mask_phone
from storage.tables import Base, CommunityRow, ProductRow, StaffRow, TechnicianRow

KINDS = ("technicians", "staff", "products", "sites")
STOCK_KINDS = ("parts", "stock", "purchases")   # checked against rows already in the database
ALL_KINDS = KINDS + STOCK_KINDS

LIST_SEPARATOR = "|"
DEFAULT_CAPACITY = 4
_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; a larger value would fail at flush, not here
_MOBILE = re.compile(r"1[3-9]\d{9}")
_DIGITS = re.compile(r"[0-9]+")
_PHONE_PUNCTUATION = re.compile(r"[\s-]")
_SHOWN_VALUE_MAX = 40
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

Problem = tuple[int, str]


class ImportFailed(Exception):
    """Carries every problem found, each naming its line: [(line_no, message), ...]; nothing was written."""

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p[0])
        super().__init__("\n".join(_format_problem(p) for p in self.problems))


def _format_problem(problem: Problem) -> str:
    line, message = problem
    # line 0 means the file as a whole, where "line 0:" would only confuse
    return message if line == 0 else f"line {line}: {message}"


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
        from storage.import_stock import IMPORTERS  # it builds on this module

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
    rows = _csv_rows(_read_text(path))
    if not rows:
        raise ImportFailed([(1, "file is empty; a header row is required")])
    header_line, header = rows[0]
    positions = _header_positions(header, spec.columns, header_line)
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for line, fields in rows[1:]:
        record = _parse_row(spec, positions, line, fields, first_seen, problems)
        if record is not None:
            records.append(record)
    if problems:
        raise ImportFailed(problems)
    return records


def read_rows(path: Path, columns: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """(line, values by column) for each record, and the records with the wrong number of fields."""
    rows = _csv_rows(_read_text(path))
    if not rows:
        raise ImportFailed([(1, "file is empty; a header row is required")])
    positions = _header_positions(rows[0][1], columns, rows[0][0])
    records: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    for line, fields in rows[1:]:
        if len(fields) != len(positions):
            problems.append((line, f"expected {len(positions)} fields, found {len(fields)}"))
        else:
            records.append((line, {name: fields[i].strip() for name, i in positions.items()}))
    return records, problems


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed([(0, f"file not found: {path}")]) from None
    except OSError as exc:
        raise ImportFailed([(0, f"cannot read {path}: {exc.strerror or exc}")]) from None
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([(line, "not valid UTF-8; save the file as 'CSV UTF-8'")]) from None


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank records with the file line each starts on (quoted fields may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for fields in reader:
            start, next_line = next_line, reader.line_num + 1
            if any(f.strip() for f in fields):
                rows.append((start, fields))
    except csv.Error as exc:
        raise ImportFailed([(next_line, f"malformed CSV: {exc}")]) from None
    return rows


def _header_positions(header: list[str], expected: tuple[str, ...], line: int) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    problems: list[Problem] = []
    missing = [c for c in expected if c not in names]
    extra = [n or "(blank)" for n in names if n not in expected]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if missing:
        problems.append((line, f"header is missing column(s): {', '.join(missing)}"))
    if extra:
        problems.append((line, f"header has unexpected column(s): {', '.join(extra)}"))
    if repeated:
        problems.append((line, f"header repeats column(s): {', '.join(repeated)}"))
    if problems:
        # rows cannot be read without a trustworthy header, so stop here
        raise ImportFailed(problems)
    return {name: names.index(name) for name in expected}


def _parse_row(
    spec: _Spec,
    positions: dict[str, int],
    line: int,
    fields: list[str],
    first_seen: dict[str, int],
    problems: list[Problem],
) -> dict[str, Any] | None:
    if len(fields) != len(positions):
        problems.append((line, f"expected {len(positions)} fields, found {len(fields)}"))
        return None
    values = {name: fields[i].strip() for name, i in positions.items()}
    errors: list[str] = []
    record = spec.parse(values, errors)
    errors.extend(_length_errors(spec, record))
    errors.extend(_duplicate_errors(spec, values[spec.key], line, first_seen))
    problems.extend((line, e) for e in errors)
    return None if errors else record


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
        column_type = spec.row_type.__table__.columns[attr].type
        if isinstance(value, str) and isinstance(column_type, String) and column_type.length:
            if len(value) > column_type.length:
                label = spec.key if attr == pk else attr  # name the CSV column, not the table's
                errors.append(f"{label} is longer than {column_type.length} characters")
    return errors


# --- field checks -------------------------------------------------------------
# Each appends a short message to `errors` and returns a placeholder, so one bad
# field does not hide the problems in the next.


def _show(value: str) -> str:
    shown = value if len(value) <= _SHOWN_VALUE_MAX else value[:_SHOWN_VALUE_MAX] + "…"
    return repr(shown)


def _required(values: dict[str, str], name: str, errors: list[str]) -> str:
    if not values[name]:
        errors.append(f"{name} is empty")
    return values[name]


def _list(value: str) -> list[str]:
    items = (item.strip() for item in value.split(LIST_SEPARATOR))
    return list(dict.fromkeys(item for item in items if item))  # drop blanks and repeats, keep order


def _required_list(values: dict[str, str], name: str, errors: list[str]) -> list[str]:
    items = _list(values[name])
    if not items:
        errors.append(f"{name} is empty")
    return items


def _int(value: str, name: str, errors: list[str], *, positive: bool) -> int:
    what = "a positive integer" if positive else "a non-negative integer"
    if not _DIGITS.fullmatch(value) or (positive and int(value) == 0):
        errors.append(f"{name} {_show(value)} is not {what}")
        return 0
    if int(value) > _INT_MAX:
        errors.append(f"{name} {_show(value)} is too large")
        return 0
    return int(value)


def _phone(value: str, errors: list[str]) -> str:
    phone = _PHONE_PUNCTUATION.sub("", value)
    if phone and not _MOBILE.fullmatch(phone):
        # the raw value may be a real number with a typo: never echo it in full
        errors.append(f"phone {mask_phone(value)} is not an 11-digit mainland mobile number")
    return phone


def _role(value: str, errors: list[str]) -> str:
    role = ROLE_NAMES.get(value.lower())
    if role is None:
        errors.append(f"role {_show(value)} is not one of dispatcher, manager, admin (派单员/客服, 主管/经理, 管理员)")
        return ""
    return role.value


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
    return spec.row_type.__table__.primary_key.columns.values()[0].key


def _upsert(session: Session, spec: _Spec, records: list[dict[str, Any]]) -> None:
    pk = _pk_attr(spec)
    existing = _load_existing(session, spec.row_type, pk, [r[pk] for r in records])
    for record in records:
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
