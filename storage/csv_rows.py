"""Reading an import CSV: the file, its header, its records, and the checks every kind of row shares.

Problems are collected, not raised one by one, so the operator gets every problem at once.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

from domain.model import mask_phone
from storage.xlsx_rows import Unreadable, xlsx_rows

LIST_SEPARATOR = "|"
_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER; a larger value would fail at flush, not here
_MOBILE = re.compile(r"1[3-9]\d{9}")
_DIGITS = re.compile(r"[0-9]+")
_PHONE_PUNCTUATION = re.compile(r"[\s-]")
_SHOWN_VALUE_MAX = 40

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


def read_rows(path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
              ) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """(line, values by column) for each record, and the records with the wrong number of fields.

    An `optional` column left out of the header reads as empty in every record. An .xlsx file is
    read from its first sheet, its row numbers standing for lines."""
    try:
        rows = xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(_read_text(path))
    except Unreadable as e:
        raise ImportFailed([(0, str(e))]) from None
    if not rows:
        raise ImportFailed([(1, "file is empty; a header row is required")])
    header = [h.strip().lower() for h in rows[0][1]]
    present = columns + tuple(c for c in optional if c in header)
    positions = _header_positions(rows[0][1], present, rows[0][0])
    records: list[tuple[int, dict[str, str]]] = []
    problems: list[Problem] = []
    for line, fields in rows[1:]:
        if len(fields) != len(positions):
            problems.append((line, f"expected {len(positions)} fields, found {len(fields)}"))
        else:
            values = dict.fromkeys(optional, "") | {name: fields[i].strip() for name, i in positions.items()}
            records.append((line, values))
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
