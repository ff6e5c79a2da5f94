"""What each chart costs to draw, and proof that the drawing is not on the request path.

    .venv/bin/python benchmarks/charts.py [--repeat 15]

1. Per chart the desk sends (今日统计 drawn over its last 7 days, 本周, 本月 over 31 days, and the
   daily report's week): median wall and process CPU time of `render_chart`, after one warm-up
   (the first call per worker loads the font and matplotlib); target under 300 ms per chart. The
   DingTalk chart card's parameters (the numbers in DingTalk's chart protocol) are timed beside it.
2. The request path: a manager's 今日统计 handled the way a platform callback handles it
   (`handle_into_outbox`, on SQLite with the demo data) is timed with `render_chart` counting its
   calls. Zero calls and a queued notice carrying the figures (not a picture) show the chart is
   drawn by the worker; the ratio is the request's time to one chart's.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

import scheduler.render.chart as chart_module
from bot.bootstrap import bootstrap
from bot.channels.dingtalk.chart_card import chart_params
from bot.settings import load_settings
from domain.charts import ChartFigures, DayCount, Ranked
from handlers.base import Inbound
from handlers.router import handle_into_outbox
from storage.importer import import_csv
from storage.tables import OutboxRow
from timing import samples  # noqa: E402  (a sibling script: benchmarks/ is on the path)

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300.0
NOW = datetime(2026, 11, 25, 6, tzinfo=timezone.utc)


def figures(title: str, first: date, days: int) -> ChartFigures:
    counts = tuple(DayCount(first + timedelta(days=d), 20 + d % 7, 18 + d % 5) for d in range(days))
    ranked = tuple(Ranked(f"区域{i}", 100 - i * 7) for i in range(5))
    techs = tuple(Ranked(f"师傅{i}", 40 - i * 3, 4.5 - i / 10) for i in range(5))
    return ChartFigures(title, first, first + timedelta(days=days - 1), counts, 30 * days, 28 * days, 80, 12,
                        0.91, 4.6, ranked, tuple(Ranked(f"产品{i}", 90 - i * 9) for i in range(5)), techs)


CHARTS = {
    "今日统计": figures("今日统计", date(2026, 11, 19), 7),
    "本周": figures("11-23 至 11-29 统计", date(2026, 11, 23), 7),
    "本月": figures("本月报表", date(2026, 12, 1), 31),
    "日报": figures("日报 11-24", date(2026, 11, 18), 7),
}


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds, after one warm-up call."""
    walls, cpus = samples(run, repeat)
    return statistics.median(walls), statistics.median(cpus)


def per_chart(repeat: int) -> float:
    worst = 0.0
    for name, f in CHARTS.items():
        wall, cpu = timed(lambda f=f: chart_module.render_chart(f), repeat)
        worst = max(worst, cpu)
        verdict = "met" if cpu < TARGET_MS else "MISSED"
        print(f"chart {name:<6} wall {wall:6.0f} ms  cpu {cpu:6.0f} ms  target {TARGET_MS:.0f} ms: {verdict} "
              f"(ratio {cpu / TARGET_MS:.2f})")
    wall, _ = timed(lambda: chart_params(CHARTS["本月"], ""), repeat)
    print(f"DingTalk chart card params (本月)  wall {wall:6.2f} ms  (drawn by DingTalk, nothing rendered)")
    return worst


def request_path(repeat: int, chart_ms: float) -> None:
    drawn = []
    real = chart_module.render_chart

    def counting(f: ChartFigures) -> bytes:
        drawn.append(f.title)
        return real(f)

    chart_module.render_chart = counting   # the only renderer; anything drawing a chart goes through it
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(str(ROOT / "config.example.toml"), env={})
        settings.database.url = f"sqlite:///{Path(folder) / 'charts.db'}"
        settings.service.media_dir = str(Path(folder) / "media")
        desk = bootstrap(settings, clock=lambda: NOW)
        with desk.uow() as uow:
            for kind in ("sites", "products", "technicians", "staff"):
                import_csv(uow.session, kind, ROOT / "bot" / "demo" / f"{kind}.csv")
            uow.commit()
        asks = iter(range(10 ** 6))
        wall, _ = timed(lambda: handle_into_outbox(
            desk, Inbound("dingtalk", "053612200589", "今日统计", msg_id=f"bench{next(asks)}")), repeat)
        with desk.uow() as uow:
            queued = [row.attachment or {} for row in uow.session.scalars(select(OutboxRow).where(OutboxRow.kind == "chart"))]
        desk.close()
    chart_module.render_chart = real
    specs = {str(spec.get("render")) for spec in queued}
    print(f"request path (今日统计 as a DingTalk callback handles it)  wall {wall:6.0f} ms  "
          f"charts drawn during it: {len(drawn)}  chart notices queued: {len(queued)} carrying {sorted(specs)}  "
          f"ratio to one chart {wall / chart_ms:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    worst = per_chart(args.repeat)
    request_path(max(3, args.repeat // 3), worst)


if __name__ == "__main__":
    main()
