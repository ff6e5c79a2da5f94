"""Kept for the callers that book visits: the time reader lives in handlers.extract.when."""
from __future__ import annotations

from handlers.extract.when import Window, is_past, offered, parse_when

__all__ = ["Window", "is_past", "offered", "parse_when"]
