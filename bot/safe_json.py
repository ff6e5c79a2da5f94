"""JSON from outside, parsed only once it is known to be shallow.

`json.loads` recurses once per nesting level: 40 KB of `[[[[…` raises RecursionError (a 500,
and a traceback in the log) instead of a ValueError a route can answer 400 to. Platform
payloads are a few levels deep, so anything deeper than MAX_DEPTH is refused before parsing.
"""
from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
# Strings are skipped whole (their brackets do not nest); what is left is brackets and scalars.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class TooDeep(ValueError):
    pass


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads for untrusted bodies; ValueError (TooDeep included) for anything unreadable."""
    raw = body.encode() if isinstance(body, str) else body
    check_depth(raw, max_depth)
    return json.loads(raw)


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """TooDeep when the brackets outside strings nest deeper than max_depth (nothing is parsed)."""
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group(0)
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"nested deeper than {max_depth}")
        elif token in (b"]", b"}"):
            depth -= 1
