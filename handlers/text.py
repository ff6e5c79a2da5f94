"""Plain text as owners type it: one width, simplified characters, and the phone numbers in it."""

from __future__ import annotations

import re
from functools import lru_cache

from zhconv_rs import zhconv

# U+FF01..U+FF5E mirror ASCII 0x21..0x7E; U+3000 is the ideographic space.
# Chinese sentence punctuation (，！？；：（）) is left alone: it is what owners
# type on purpose and it keeps the description readable.
_KEEP_FULL_WIDTH = set("，！？；：（）")
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP_FULL_WIDTH}
_WIDTH[0x3000] = 0x20


@lru_cache(maxsize=2048)   # one message is normalized several times (reading, products, dates)
def normalize(text: str) -> str:
    """Half-width ASCII, simplified characters, single spaces, no padding."""
    text = text.translate(_WIDTH)
    text = zhconv(text, "zh-cn")
    return re.sub(r"\s+", " ", text).strip()


# 3-4-4 grouping is how people actually space numbers; the digit guards reject
# longer runs (12 digits, ID numbers) instead of cutting a phone out of them.
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def phone_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), "".join(m.groups())) for m in _PHONE.finditer(text)]


def find_phone(text: str) -> str | None:
    spans = phone_spans(text.translate(_WIDTH))
    return spans[0][2] if spans else None
