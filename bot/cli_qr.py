"""`baoxiu qr create` and `baoxiu qr batch`: printable 扫码报修 codes for units and products."""
from __future__ import annotations

import csv
from pathlib import Path

import click

from bot.channels.wecom.client import ApiError, WecomApi
from bot.channels.wecom.scene import Scene, SceneTooLong
from bot.cli_context import DeskContext

COLUMNS = ("community", "building", "unit", "room", "sku")
# bot.channels.wecom.codes (segno, Pillow, fontTools: about 5 MB) is imported by these commands only:
# every process, `serve` included, loads this module for the command list.


@click.group()
def qr() -> None:
    """扫码报修 codes (微信客服)."""


@qr.command("create")
@click.option("--community", required=True, help="小区")
@click.option("--building", default="", help="楼栋")
@click.option("--unit", default="", help="单元")
@click.option("--room", default="", help="房号")
@click.option("--sku", default="", help="产品 SKU")
@click.option("--out", "out", type=click.Path(file_okay=False), default=".", help="folder for the PNG")
@click.option("--font", type=click.Path(dir_okay=False), help="a font file for the caption (default: the bundled Noto Sans SC)")
@click.pass_obj
def qr_create(obj: DeskContext, community: str, building: str, unit: str, room: str, sku: str, out: str,
              font: str | None) -> None:
    """One code: prints its link and writes its PNG."""
    made = _make(obj, [Scene(community, building, unit, room, sku)], Path(out), font)
    click.echo(f"{made[0][1]}\n{made[0][0]}")


@qr.command("batch")
@click.argument("units", type=click.Path(exists=True, dir_okay=False))
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--font", type=click.Path(dir_okay=False), help="a font file for the caption (default: the bundled Noto Sans SC)")
@click.pass_obj
def qr_batch(obj: DeskContext, units: str, out: str, font: str | None) -> None:
    """A CSV with columns community,building,unit,room,sku (a header line) → one PNG per row."""
    with open(units, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "community" not in rows[0]:
        raise click.ClickException(f"{units}: needs a header line with {','.join(COLUMNS)}")
    scenes = [Scene(*((row.get(c) or "").strip() for c in COLUMNS)) for row in rows]
    made = _make(obj, scenes, Path(out), font)
    from bot.channels.wecom.codes import write_sheets
    sheets = write_sheets([(scene, png) for scene, (_, png) in zip(scenes, made)], Path(out))
    click.echo(f"{len(made)} codes written to {out}, with {len(sheets)} PDF sheet(s), one per building")


def _make(obj: DeskContext, scenes: list[Scene], out: Path, font: str | None) -> list[tuple[str, Path]]:
    from bot.channels.wecom.codes import caption, contact_link, file_name, write_png
    desk = obj.desk()
    s = desk.settings.wecom
    if not (s.enabled and s.kf_secret and s.kf_open_kfid and s.scene_key):
        raise click.ClickException("[wecom] needs enabled = true, kf_secret, kf_open_kfid and scene_key "
                                   "to make 扫码报修 codes")
    api = WecomApi(s, desk.store, desk.clock)
    made = []
    try:
        for scene in scenes:
            with desk.uow() as uow:
                product = uow.catalog.product(scene.sku) if scene.sku else None
            if scene.sku and product is None:
                raise click.ClickException(f"unknown SKU {scene.sku}")
            link = contact_link(api, s.kf_open_kfid, scene, s.scene_key)
            made.append((link, write_png(link, caption(scene, product.name if product else ""),
                                         out / file_name(scene), font)))
    except SceneTooLong as e:
        raise click.ClickException(f"{scene.place()}: {e}") from None
    except ApiError as e:
        raise click.ClickException(f"WeCom refused add_contact_way: {e}") from None
    finally:
        api.close()
    return made
