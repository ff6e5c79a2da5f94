"""A period's figures as one PNG: days, totals, regions, products, technicians.

matplotlib's object API (no pyplot: no global figure state, safe in a worker thread), the Agg
canvas, and the CJK font from the pip package registered by file, never looked up on the system.
"""
from __future__ import annotations

import io
from functools import lru_cache

from matplotlib import font_manager, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from domain.charts import ChartFigures, Ranked
from scheduler.render import fonts

CREATED, CLOSED, BAR = "#4C78A8", "#54A24B", "#72B7B2"
DPI = 90


@lru_cache(maxsize=1)
def _use_cjk_font() -> None:
    """Once per process: the pip package's font for every chart. Set globally rather than per figure
    (rc_context deep-copies every setting twice a chart, a third of the drawing time); charts are
    the only thing this process draws."""
    path = fonts.cjk_font()
    font_manager.fontManager.addfont(str(path))
    rcParams["font.family"] = font_manager.FontProperties(fname=str(path)).get_name()
    rcParams["axes.unicode_minus"] = False   # the font's hyphen, not U+2212 (drawn from a fallback)
    rcParams["axes.titley"] = 1.02           # a fixed title place: finding one measures every tick label


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def summary_line(f: ChartFigures) -> str:
    rating = f"{f.avg_rating:.1f}" if f.avg_rating is not None else "—"
    return (f"新建 {f.created}   完成 {f.closed}   未完成 {f.open}   超时 {f.overdue}   "
            f"按时解决 {percent(f.on_time)}   平均评分 {rating}")


def render_chart(figures: ChartFigures) -> bytes:
    """PNG bytes, 900 x 630 pixels."""
    _use_cjk_font()
    fig = Figure(figsize=(10, 7), dpi=DPI)
    fig.set_facecolor("white")
    fig.suptitle(f"{figures.title}（{figures.first:%m-%d} 至 {figures.last:%m-%d}）", fontsize=16)
    fig.text(0.5, 0.905, summary_line(figures), ha="center", fontsize=11, color="#333333")
    grid = fig.add_gridspec(2, 3, top=0.83, bottom=0.05, left=0.07, right=0.98, hspace=0.35, wspace=0.45)
    _days(fig.add_subplot(grid[0, :]), figures)
    _ranked(fig.add_subplot(grid[1, 0]), "按区域（新建）", figures.by_region)
    _ranked(fig.add_subplot(grid[1, 1]), "按产品（新建）", figures.by_product)
    _ranked(fig.add_subplot(grid[1, 2]), "师傅排行（完成）", figures.technicians, ratings=True)
    out = io.BytesIO()
    # zlib level 1: a chart of flat colours compresses well anyway, and level 6 costs a third of the time
    FigureCanvasAgg(fig).print_png(out, pil_kwargs={"compress_level": 1})
    return out.getvalue()


def _days(ax: Axes, f: ChartFigures) -> None:
    # Lines, not bars: a month of grouped bars is sixty artists, and drawing time follows artists.
    if not f.days:
        _nothing(ax, "每日新建与完成")
        return
    xs = list(range(len(f.days)))
    ax.plot(xs, [d.created for d in f.days], color=CREATED, marker="o", markersize=3, label="新建")
    ax.plot(xs, [d.closed for d in f.days], color=CLOSED, marker="o", markersize=3, label="完成")
    step = max(1, -(-len(xs) // 10))
    ax.set_xticks(xs[::step], [f"{d.day:%m-%d}" for d in f.days][::step], fontsize=8)
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(0, max([1] + [max(d.created, d.closed) for d in f.days]) * 1.2)
    ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.set_title("每日新建与完成", fontsize=11)
    ax.legend(fontsize=9, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)


def _ranked(ax: Axes, title: str, rows: tuple[Ranked, ...], ratings: bool = False) -> None:
    if not rows:
        _nothing(ax, title)
        return
    ax.set_title(title, fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    names = [r.name[:8] for r in reversed(rows)]
    counts = [r.count for r in reversed(rows)]
    bars = ax.barh(names, counts, color=BAR)
    labels = [f"{r.count}" + (f" · {r.rating:.1f}分" if ratings and r.rating is not None else "")
              for r in reversed(rows)]
    ax.bar_label(bars, labels, fontsize=8, padding=2)
    ax.set_xlim(0, max(counts) * 1.6)
    ax.set_xticks([])   # each bar is labelled with its count: an axis would repeat it, at a cost
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="y", labelsize=9, length=0)


def _nothing(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=11)
    ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", transform=ax.transAxes, color="#888888")
    ax.set_xticks([])
    ax.set_yticks([])
