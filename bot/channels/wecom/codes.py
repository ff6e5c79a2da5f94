"""扫码报修 codes: a 微信客服 contact-way link per unit or product, and its printable PNG.

`kf/add_contact_way` gives a link for one kf account and a `scene` (≤32 bytes of [0-9a-zA-Z_-]);
the signed `scene_param` appended to it comes back in the `enter_session` event.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from urllib.parse import quote

import segno
from PIL import Image, ImageDraw, ImageFont

from bot.channels.wecom.client import WecomApi
from bot.channels.wecom.scene import Scene, sign
from scheduler.render.fonts import cjk_font

SCENE = "baoxiu-qr"     # one scene for every printed code: the facts travel in the signed param


def contact_link(api: WecomApi, open_kfid: str, scene: Scene, key: str) -> str:
    """The link the printed code opens: WeCom's contact way plus our signed facts."""
    param = sign(scene, key)  # raises SceneTooLong before any API call
    answer = api.post("kf", "/cgi-bin/kf/add_contact_way", {"open_kfid": open_kfid, "scene": SCENE})
    url = str(answer["url"])
    return f"{url}{'&' if '?' in url else '?'}scene_param={quote(param, safe='')}"


def caption(scene: Scene, product: str = "") -> str:
    return f"{scene.place() or '报修'}{' · ' + product if product else ''} 扫码报修"


def write_png(link: str, text: str, path: Path, font: str | None = None) -> Path:
    """The code at print size with its caption under it (a CJK font is needed for the caption)."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=10, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    face = _font(font, size=max(18, code.width // 18))
    box = ImageDraw.Draw(code).textbbox((0, 0), text, font=face)
    sheet = Image.new("RGB", (max(code.width, int(box[2]) + 40), code.height + int(box[3]) + 30), "white")
    sheet.paste(code, ((sheet.width - code.width) // 2, 0))
    ImageDraw.Draw(sheet).text(((sheet.width - box[2]) // 2, code.height + 5), text, fill="black", font=face)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, format="PNG")
    return path


def write_sheets(made: list[tuple[Scene, Path]], out: Path) -> list[Path]:
    """One PDF per building (a page per code), for the print shop."""
    buildings: dict[tuple[str, str], list[Path]] = {}
    for scene, png in made:
        buildings.setdefault((scene.community, scene.building), []).append(png)
    sheets = []
    for (community, building), pngs in buildings.items():
        pages = [Image.open(p).convert("RGB") for p in pngs]
        path = out / (f"{community}{building and building + '栋'}".replace("/", "_") + ".pdf")
        pages[0].save(path, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
        sheets.append(path)
    return sheets


def file_name(scene: Scene) -> str:
    """Readable, and unique per scene even when two units share a readable name."""
    digest = hashlib.sha1(repr(scene).encode()).hexdigest()[:6]
    parts = [scene.community, scene.building, scene.unit, scene.room, scene.sku]
    return "-".join(p for p in parts if p).replace("/", "_") + f"-{digest}.png"


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """The operator's font when given, else the CJK font the PDFs embed (a pip package, so the
    caption never depends on what the machine has)."""
    return ImageFont.truetype(path or str(cjk_font()), size)
