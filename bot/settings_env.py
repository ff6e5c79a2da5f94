"""BAOXIU_<SECTION>_<KEY> for every key of the settings, found by walking the settings models.

No list of variables is kept by hand: the name is read against the models' own fields, so a key
added to a section is settable from the environment the day it is added. Keys join with "_"
(BAOXIU_DISPATCH_WEIGHTS_FIRST_FIX), an array of tables takes the index (BAOXIU_PRIORITIES_0_NAME),
a table keyed by data takes the key as written in the file, "*" spelled ANY
(BAOXIU_SLA_REPAIR_ANY_ACCEPT). Lists and tables may also be given whole, as JSON.
"""
from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

ENV_PREFIX = "BAOXIU_"
NOT_SETTINGS = ("config",)   # BAOXIU_CONFIG names the file; it is not a key in it
Path = list[str | int]


class EnvError(ValueError):
    """A variable that cannot be placed or decoded; the message names the variable, never its value."""


def apply_env(model: type[BaseModel], raw: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """Write each BAOXIU_ variable of a known section into `raw`, the parsed file, in place.

    Returns which key came from which variable ("dispatch.weights.region" -> its name), so a
    validation error names the variable rather than the file."""
    used: dict[str, str] = {}
    for name in sorted(env):
        value = env[name]
        if not name.startswith(ENV_PREFIX) or value == "":
            continue
        rest = name[len(ENV_PREFIX):].lower()
        if rest in NOT_SETTINGS or _section(model, rest) is None:
            continue   # BAOXIU_TEST_DATABASE_URL and the like belong to someone else
        path, leaf = _walk(model, raw, rest, name)
        _put(raw, path, _decode(value, leaf, name), name)
        used[".".join(str(p) for p in path)] = name
    return used


def _fields(model: type[BaseModel]) -> list[str]:
    """The model's keys, longest first, so `first_fix` is tried before a key called `first`."""
    return sorted((n for n, f in model.model_fields.items() if not f.exclude), key=len, reverse=True)


def _section(model: type[BaseModel], rest: str) -> str | None:
    return next((f for f in _fields(model) if rest == f or rest.startswith(f + "_")), None)


def _key_of(model: type[BaseModel], rest: str) -> str | None:
    """The field `rest` starts with; only a table or a list of tables has anything after its name."""
    for field in _fields(model):
        inner = model.model_fields[field].annotation
        if rest == field or (rest.startswith(field + "_") and _structured(inner) and not _plain_list(inner)):
            return field
    return None


def _plain_list(kind: Any) -> bool:
    return typing.get_origin(kind) is list and not _is_model(typing.get_args(kind)[0])


def _walk(kind: Any, raw: Any, rest: str, name: str) -> tuple[Path, Any]:
    """(the path of keys the name means, the type found there), e.g. ["sla", "repair", "*", "accept"]."""
    origin = typing.get_origin(kind)
    if _is_model(kind):
        key = _key_of(kind, rest)
        if key is None:   # not a key of this table: validation refuses it, naming the variable
            return [rest], str
        inner = kind.model_fields[key].annotation
        return _descend(key, inner, _child(raw, key), rest[len(key) + 1:], name)
    if origin is dict:
        keys = sorted(raw if isinstance(raw, dict) else {}, key=len, reverse=True)
        key = next((k for k in keys if rest == _spelt(k) or rest.startswith(_spelt(k) + "_")), None)
        if key is None:   # a key the file does not have yet: up to the next "_"
            first = rest.split("_", 1)[0]
            key = "*" if first == "any" else first
        return _descend(key, typing.get_args(kind)[1], _child(raw, key), rest[len(_spelt(key)) + 1:], name)
    if origin is list and _is_model(typing.get_args(kind)[0]):
        index, _, after = rest.partition("_")
        if not index.isdigit():
            raise EnvError(f"environment variable {name}: expected an index here, e.g. {name.rsplit('_', 1)[0]}_0_…")
        inner = typing.get_args(kind)[0]
        return _descend(int(index), inner, _child(raw, int(index)), after, name)
    raise EnvError(f"environment variable {name}: names no key of the settings")


def _descend(key: str | int, kind: Any, raw: Any, rest: str, name: str) -> tuple[Path, Any]:
    if not rest:
        return [key], kind
    path, leaf = _walk(kind, raw, rest, name)
    return [key, *path], leaf


def _spelt(key: str) -> str:
    """A data key as it appears in a variable's name: lower case, "*" as any."""
    return key.lower().replace("*", "any")


def _child(raw: Any, key: str | int) -> Any:
    if isinstance(raw, dict):
        return raw.get(key)
    if isinstance(raw, list) and isinstance(key, int) and key < len(raw):
        return raw[key]
    return None


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _structured(kind: Any) -> bool:
    """Lists and tables come as JSON; everything else as the text pydantic reads like the file's."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return any(_structured(k) for k in typing.get_args(kind) if k is not type(None))
    return typing.get_origin(kind) in (list, dict) or _is_model(kind)


def _decode(value: str, kind: Any, name: str) -> Any:
    if not _structured(kind):
        return value
    if typing.get_origin(kind) is list and not value.lstrip().startswith("["):
        return [v.strip() for v in value.split(",") if v.strip()]   # a plain list: a,b,c
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise EnvError(f"environment variable {name}: not valid JSON (a list like [\"a\"] "
                       f"or a table like {{\"key\": 1}})") from None


def _put(raw: dict[str, Any], path: Path, value: Any, name: str) -> None:
    here: Any = raw
    for key, after in zip(path, path[1:]):
        here = _step(here, key, after, name)
    last = path[-1]
    if isinstance(here, list):
        assert isinstance(last, int)
        _extend(here, last, name)
        here[last] = value
    elif isinstance(here, dict):
        here[last] = value
    # anything else: the file wrote a table as a plain value, and validation names it


def _step(here: Any, key: str | int, after: str | int, name: str) -> Any:
    fresh: Any = [] if isinstance(after, int) else {}
    if isinstance(here, list) and isinstance(key, int):
        _extend(here, key, name)
        if here[key] is None:
            here[key] = fresh
        return here[key]
    if isinstance(here, dict):
        return here.setdefault(key, fresh)
    return fresh   # a plain value where a table belongs: left to validation


def _extend(items: list[Any], index: int, name: str) -> None:
    """An array of tables grows by one at a time, so BAOXIU_PRIORITIES_9_… cannot leave holes."""
    if index > len(items):
        raise EnvError(f"environment variable {name}: index {index} skips entries (there are {len(items)})")
    if index == len(items):
        items.append(None)
