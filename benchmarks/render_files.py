"""What a chart and a 服务确认单 cost to render, in the worker: target under 300 ms per chart.

    .venv/bin/python benchmarks/render_files.py [--repeat 20]

Draws the busiest chart the desk sends (a 31-day month, five regions, products and technicians)
and a confirmation with parts and a photo, after one warm-up each (the first call loads the
font and matplotlib's caches, once per worker process). Prints the median and spread of the
wall time and of the process CPU time: on a shared machine the CPU time is the steadier figure.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from domain.charts import ChartFigures, DayCount, Ranked
from domain.documents import Confirmation, PartLine
from scheduler.render.chart import render_chart
from scheduler.render.confirmation_pdf import render_confirmation
from scheduler.render.formats import FIELDS, Company
from scheduler.render.template import load_layout
from timing import samples  # noqa: E402  (a sibling script: benchmarks/ is on the path)

TARGET_MS = 300


def month() -> ChartFigures:
    days = tuple(DayCount(date(2026, 12, d), 20 + d % 7, 18 + d % 5) for d in range(1, 32))
    ranked = tuple(Ranked(f"区域{i}", 100 - i * 7) for i in range(5))
    techs = tuple(Ranked(f"师傅{i}", 40 - i * 3, 4.5 - i / 10) for i in range(5))
    return ChartFigures("本月报表", date(2026, 12, 1), date(2026, 12, 31), days, 700, 650, 80, 12, 0.91, 4.6,
                        ranked, tuple(Ranked(f"产品{i}", 90 - i * 9) for i in range(5)), techs)


def confirmation(photo: str) -> Confirmation:
    at = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
    return Confirmation("BX20261202-0001", "维修", "普通", "已完成", "张先生", "138****8000", "翠湖花园3栋2单元501室",
                        "厨房水龙头", "SN-AB12345", "保内（至 2027-06-30）", "厨房水龙头一直滴水，关不紧",
                        "更换阀芯，试水正常", (PartLine("陶瓷阀芯", "P-VALVE", 1, 4500),), 8000, 4500, 0,
                        "王建国（T01）", at, at + timedelta(hours=2), at + timedelta(hours=3),
                        at + timedelta(hours=4), "业主在聊天中确认「修好了」", 5, "师傅很专业", (photo,))


def measure(what: str, run: Callable[[], bytes], repeat: int, target_ms: float | None) -> None:
    walls, cpus = samples(run, repeat)
    verdict = "" if target_ms is None else \
        f"  target {target_ms:.0f} ms: {'met' if statistics.median(cpus) < target_ms else 'MISSED'} (cpu)"
    print(f"{what:<14} wall median {statistics.median(walls):6.0f} ms (min {min(walls):.0f}, max {max(walls):.0f})"
          f"  cpu median {statistics.median(cpus):6.0f} ms{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    figures = month()
    measure("chart (month)", lambda: render_chart(figures), args.repeat, TARGET_MS)
    with tempfile.TemporaryDirectory() as folder:
        photo = Path(folder) / "photo.jpg"
        Image.new("RGB", (1600, 1200), (90, 140, 200)).save(photo, "JPEG")
        layout = load_layout(None, FIELDS)
        form = confirmation(str(photo))
        measure("confirmation", lambda: render_confirmation(form, layout, Company("翠湖物业"), ZoneInfo("Asia/Shanghai")),
                max(3, args.repeat // 4), None)


if __name__ == "__main__":
    main()
