"""Reading a PDF back the way a person's reader does: pages as pictures, the text, the embedded font.

pypdfium2 (PDFium, Chrome's PDF engine) renders and extracts; the font check reads the embedded
program itself with fontTools, so a glyph the file lacks is found even where a reader would
quietly draw an empty box.
"""
from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass

import pypdfium2 as pdfium
from fontTools.cffLib import CFFFontSet
from fontTools.pens.boundsPen import BoundsPen
from PIL import Image

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
CIDCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*(\d+)\s")


@dataclass(frozen=True)
class Read:
    pages: list[Image.Image]
    text: str
    drawable: set[str]     # characters the embedded font maps to a real glyph (not .notdef, not empty)


def read_pdf(data: bytes) -> Read:
    doc = pdfium.PdfDocument(data)
    pages = [doc[i].render(scale=1.0).to_pil() for i in range(len(doc))]
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return Read(pages, text, drawable(data))


def _streams(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """object number -> (dictionary text, decoded stream)."""
    found = {}
    for m in OBJECT.finditer(data):
        head, _, rest = m.group(2).partition(b"stream")
        if not rest:
            continue
        length = int(re.search(rb"/Length (\d+)", head).group(1))  # type: ignore[union-attr]
        body = rest.lstrip(b"\r").lstrip(b"\n")[:length]
        found[int(m.group(1))] = (head, zlib.decompress(body) if b"/FlateDecode" in head else body)
    return found


def drawable(data: bytes) -> set[str]:
    """Characters that reach a glyph with outlines: the text's code -> Unicode (ToUnicode), the same
    code -> CID (the font's Encoding CMap), the CID -> a glyph of the embedded CFF program."""
    streams = _streams(data)
    cff_raw = next(raw for head, raw in streams.values() if b"/CIDFontType0C" in head)
    to_unicode = next(raw for head, raw in streams.values() if b"beginbfchar" in raw)
    encoding = next(raw for head, raw in streams.values() if b"begincidchar" in raw)
    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(cff_raw), None)
    glyphs = fonts[fonts.fontNames[0]].CharStrings
    cid_of = {int(code, 16): int(cid) for code, cid in CIDCHAR.findall(encoding)}
    chars = set()
    for code_hex, uni_hex in BFCHAR.findall(to_unicode):
        cid = cid_of.get(int(code_hex, 16), 0)
        name = f"cid{cid:05d}"
        if cid == 0 or name not in glyphs:
            continue
        char = bytes.fromhex(uni_hex.decode()).decode("utf-16-be")
        pen = BoundsPen(None)
        glyphs[name].draw(pen)
        if char.isspace() or pen.bounds is not None:   # drawn: it has an outline, it is not an empty box
            chars.add(char)
    return chars


def inked(page: Image.Image) -> float:
    """Share of the page that is not white: an empty render is 0."""
    counts = page.convert("L").histogram()
    return sum(counts[:200]) / sum(counts)
