"""The CJK font, from a pip package: charts and PDFs must not depend on what the machine has."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont

PACKAGE, FILE = "pylopdf_fonts_zh_cn", "NotoSansSC-Regular.otf"


def cjk_font() -> Path:
    path = Path(str(resources.files(PACKAGE) / FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{PACKAGE} is installed without {FILE}; reinstall it")
    return path


@lru_cache(maxsize=1)
def covered() -> frozenset[int]:
    """Every code point the font has a glyph for."""
    font = TTFont(str(cjk_font()), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def missing(text: str) -> set[str]:
    """Characters of `text` the font cannot draw (they would print as empty boxes)."""
    have = covered()
    return {c for c in text if not c.isspace() and ord(c) not in have}
