"""The operator's layout for a printed document: TOML blocks, field lists and text with ${field}."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from string import Template as Text

DEFAULT = Path(__file__).parent / "templates" / "confirmation.toml"
KINDS = ("fields", "text", "parts", "photos", "signature")


class TemplateError(ValueError):
    """The template file cannot be used; the message names the file and the block."""


@dataclass(frozen=True)
class Block:
    kind: str
    heading: str = ""
    fields: tuple[str, ...] = ()
    text: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    labels: dict[str, str]

    def label(self, field: str) -> str:
        return self.labels.get(field, field)


def load_layout(path: Path | None, known: frozenset[str]) -> Layout:
    """`known`: the field names the document offers; a template naming another is refused at once."""
    source = path or DEFAULT
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise TemplateError(f"{source.name}: {e}") from None
    blocks = tuple(_block(source.name, i, raw, known) for i, raw in enumerate(data.get("blocks") or []))
    if not blocks:
        raise TemplateError(f"{source.name}: no [[blocks]]")
    labels = {str(k): str(v) for k, v in (data.get("labels") or {}).items()}
    return Layout(str(data.get("title", "")), str(data.get("subtitle", "")), blocks, labels)


def _block(name: str, i: int, raw: object, known: frozenset[str]) -> Block:
    where = f"{name}: blocks[{i}]"
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise TemplateError(f"{where}: kind must be one of {', '.join(KINDS)}")
    fields = tuple(str(f) for f in raw.get("fields") or ())
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise TemplateError(f"{where}: unknown field {unknown[0]} (fields: {', '.join(sorted(known))})")
    text = str(raw.get("text", ""))
    for placeholder in _placeholders(text):
        if placeholder not in known:
            raise TemplateError(f"{where}: unknown field ${{{placeholder}}} in text")
    return Block(raw["kind"], str(raw.get("heading", "")), fields, text,
                 tuple(str(x) for x in raw.get("labels") or ()))


def _placeholders(text: str) -> set[str]:
    return {m.group("named") or m.group("braced") for m in Text.pattern.finditer(text)
            if m.group("named") or m.group("braced")}


def fill(text: str, values: dict[str, str]) -> str:
    """${field} replaced; `$$` prints a dollar sign; nothing else in the text is evaluated."""
    return Text(text).safe_substitute(values)
