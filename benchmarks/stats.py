"""今日统计 and period figures over 100,000 and 1,000,000 tickets: what a manager's question costs.

    .venv/bin/python benchmarks/stats.py [--sizes 100000 1000000] [--runs 7]
    .venv/bin/python benchmarks/stats.py --quick        # 10,000 and 100,000 tickets, 3 runs
    .venv/bin/python benchmarks/stats.py --reuse        # PostgreSQL: time again on the schemas loaded last time

Builds one database per size (on PostgreSQL when BAOXIU_TEST_DATABASE_URL is set, each size
in its own schema, which is dropped first; otherwise SQLite files in a temporary folder): a
thousand tickets a day going back as far as the size needs (so 1M tickets is about three years
of history, and a day holds the same in both), with audit events (SLA breaches, holds for
parts), assets that come back, sites in regions. PostgreSQL is loaded set-based (one
INSERT ... SELECT over generate_series per table, seeded); SQLite with executemany.
Then times, median of the runs (the sizes taking turns run by run), on the path managers use:
- 今日统计: `domain.reports.today_text` (the day's figures and 30 days of service quality) and
  the chart of the week up to today (`domain.charts.chart_figures`), as the desk answers it;
- the daily report: yesterday's figures, the overdue list and the week's chart;
- figures for the last 7 and 30 days (`domain.reports.period_figures`, what weekly and monthly
  reports call);
- 师傅排行 and the by-region and by-product breakdowns over the last 30 days (`domain.figures`).
Prints wall-clock and CPU milliseconds (CPU: this process's, plus on PostgreSQL the session's
server process's, read from /proc since the database runs on the same machine; a loaded machine
stretches the wall clock, not the CPU time) and the ratios of the largest size to the smallest;
the target is 300 ms and flat (ratio near 1).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Connection, insert, select, text

from bot.bootstrap import Desk, bootstrap
from bot.settings import load_settings
from domain.figures import breakdown_over, ranking_over
from domain.charts import chart_figures, last_days
from domain.ports import UnitOfWork
from domain.reports import overdue_lines, period_figures, today_figures, today_text
from domain.ticket import State
from storage.db import make_engine
from storage.importer import import_csv
from schemas import in_schema, remake  # a sibling script: benchmarks/ is on the path
from storage.tables import AssetRow, CustomerRow, ProductRow, SiteRow, TicketEventRow, TicketRow

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
PER_DAY = 1000
TARGET_MS = 300.0
REGIONS = tuple(f"区{i:02d}" for i in range(10))
OPEN = ("new", "assigned", "accepted", "in_progress", "waiting")
CHUNK = 20000


def _url(size: int, folder: Path, reuse: bool) -> tuple[str, bool]:
    """The database for `size` tickets, and whether it still needs loading."""
    base = os.environ.get("BAOXIU_TEST_DATABASE_URL", "")
    if not base:
        return f"sqlite:///{folder / f'stats-{size}.db'}", True
    schema = f"baoxiu_bench_stats_{size}"
    engine = make_engine(base)
    with engine.begin() as conn:
        loaded = reuse and conn.scalar(text(f"SELECT to_regclass('{schema}.tickets') IS NOT NULL")) and conn.scalar(
            text(f"SELECT count(*) FROM {schema}.tickets")) == size
    engine.dispose()
    if not loaded:
        remake(base, schema)
    return in_schema(base, schema), not loaded


def _ticket(i: int, size: int, rng: random.Random, skus: list[str]) -> dict:  # type: ignore[type-arg]
    created = NOW - timedelta(seconds=(size - i) * 86400 / PER_DAY + rng.randrange(60))
    age = NOW - created
    state = (rng.choice(OPEN) if rng.random() < 0.5 else State.CLOSED.value) if age < timedelta(days=3) else (
        State.CLOSED.value if rng.random() < 0.93 else State.CANCELLED.value)
    accepted = created + timedelta(minutes=rng.randrange(5, 240)) if state not in ("new", "assigned", "cancelled") else None
    resolved = (accepted + timedelta(hours=rng.randrange(1, 48))) if accepted and state == "closed" else None
    closed = resolved + timedelta(hours=rng.randrange(1, 24)) if resolved else None
    return dict(number=f"BX{i:09d}", type="repair", priority="normal", description="漏水", customer_id=1,
                state=state, created_at=created, accepted_at=accepted, resolved_at=resolved, closed_at=closed,
                accept_by=created + timedelta(hours=2), resolve_by=created + timedelta(hours=48),
                rating=rng.randint(1, 5) if closed and rng.random() < 0.6 else None, site_id=rng.randrange(200) + 1,
                product_sku=rng.choice(skus), asset_id=rng.randrange(20000) + 1 if rng.random() < 0.5 else None,
                reopen_count=int(rng.random() < 0.05), parts_cents=rng.choice((0, 0, 4500, 12000)),
                breaches=["resolve"] if rng.random() < 0.1 else [],
                callback_state="open" if closed and rng.random() < 0.01 else "",
                assignee_id=f"T{rng.randrange(500):04d}")


def _events(ticket_id: int, row: dict, rng: random.Random) -> list[dict]:  # type: ignore[type-arg]
    out = []
    if row["breaches"]:
        out.append(dict(ticket_id=ticket_id, at=row["resolve_by"], actor="system", action="sla_breach",
                        from_state="accepted", to_state="accepted", reason="resolve"))
    if row["accepted_at"] and rng.random() < 0.1:
        out.append(dict(ticket_id=ticket_id, at=row["accepted_at"] + timedelta(hours=1), actor="tech", action="hold",
                        from_state="in_progress", to_state="waiting", reason=rng.choice(("等配件", "客户不在家"))))
    return out


def build(size: int, folder: Path, reuse: bool = False) -> Desk:
    settings = load_settings(str(ROOT / "config.example.toml"), env={})
    settings.database.url, empty = _url(size, folder, reuse)
    desk = bootstrap(settings, clock=lambda: NOW)   # migrates a kept schema to the head
    if not empty:
        return desk
    with desk.uow() as uow:
        for kind in ("sites", "products", "technicians", "staff"):
            import_csv(uow.session, kind, ROOT / "bot" / "demo" / f"{kind}.csv")
        uow.commit()
    rng = random.Random(size)
    with desk.engine.begin() as conn:
        skus = list(conn.scalars(select(ProductRow.sku)))
        conn.execute(insert(CustomerRow), [dict(id=1, phone="13800138000", name="", created_at=NOW)])
        conn.execute(insert(SiteRow), [dict(id=i + 1, community="翠湖花园", building=str(i), region=REGIONS[i % 10])
                                       for i in range(200)])
        conn.execute(insert(AssetRow), [dict(id=i + 1, sku=rng.choice(skus), customer_id=1,
                                             purchase_date=date(2024, 1, 1)) for i in range(20000)])
        if conn.dialect.name == "postgresql":
            _load_set_based(conn, size, skus)
        else:
            _load_rows(conn, size, rng, skus)
    if desk.engine.dialect.name == "postgresql":
        # what autovacuum does after such a load: statistics, and the visibility map index-only scans need
        with desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return desk


def _load_rows(conn: Connection, size: int, rng: random.Random, skus: list[str]) -> None:
    for start in range(0, size, CHUNK):
            rows = [_ticket(i, size, rng, skus) for i in range(start, min(start + CHUNK, size))]
            conn.execute(insert(TicketRow), rows)
            events = [e for n, row in enumerate(rows) for e in _events(start + n + 1, row, rng)]
            if events:
                conn.execute(insert(TicketEventRow), events)


# The same shape as _ticket and _events, drawn by the database: one statement per table.
_TICKETS = """
WITH base AS (
    SELECT i, :now - make_interval(secs => (:size - i) * 86400.0 / :per_day + floor(random() * 60)) AS created,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
           random() AS r7, random() AS r8, random() AS r9
    FROM generate_series(0, :size - 1) AS i),
stated AS (
    SELECT *, CASE WHEN :now - created < interval '3 days'
                   THEN CASE WHEN r1 < 0.5 THEN (ARRAY['new', 'assigned', 'accepted', 'in_progress', 'waiting'])
                                                [1 + floor(r2 * 5)::int] ELSE 'closed' END
                   ELSE CASE WHEN r1 < 0.93 THEN 'closed' ELSE 'cancelled' END END AS state
    FROM base),
accepted AS (
    SELECT *, CASE WHEN state NOT IN ('new', 'assigned', 'cancelled')
                   THEN created + make_interval(mins => 5 + floor(r3 * 235)::int) END AS accepted_at
    FROM stated),
resolved AS (
    SELECT *, CASE WHEN state = 'closed' AND accepted_at IS NOT NULL
                   THEN accepted_at + make_interval(hours => 1 + floor(r4 * 47)::int) END AS resolved_at
    FROM accepted)
INSERT INTO tickets (number, type, priority, description, customer_id, state, created_at, accepted_at,
    resolved_at, closed_at, accept_by, resolve_by, rating, site_id, product_sku, asset_id, reopen_count,
    parts_cents, breaches, callback_state, assignee_id, declined, photos, offered, sla_fired, pauses,
    hold_reason, resolution_note, parts_used, rating_comment, urge_count, hold_count, warranty,
    labour_cents, charge_cents, followup_stage, callback_note)
SELECT 'BX' || lpad(i::text, 9, '0'), 'repair', 'normal', '漏水', 1, state, created, accepted_at, resolved_at,
       resolved_at + make_interval(hours => 1 + floor(r5 * 23)::int), created + interval '2 hours',
       created + interval '48 hours', CASE WHEN resolved_at IS NOT NULL AND r6 < 0.6 THEN 1 + floor(r7 * 5)::int END,
       1 + floor(r8 * 200)::int, (CAST(:skus AS text[]))[1 + floor(r9 * cardinality(CAST(:skus AS text[])))::int],
       CASE WHEN r2 < 0.5 THEN 1 + floor(r3 * 20000)::int END, (r4 < 0.05)::int,
       (ARRAY[0, 0, 4500, 12000])[1 + floor(r5 * 4)::int],
       CASE WHEN r6 > 0.9 THEN '["resolve"]' ELSE '[]' END::json,
       CASE WHEN resolved_at IS NOT NULL AND r7 > 0.99 THEN 'open' ELSE '' END,
       'T' || lpad(floor(r8 * 500)::int::text, 4, '0'), '[]', '[]', '[]', '[]', '[]',
       '', '', '', '', 0, 0, 'unknown', 0, 0, '', ''
FROM resolved
"""
_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, actor, action, from_state, to_state, reason)
SELECT id, resolve_by, 'system', 'sla_breach', 'accepted', 'accepted', 'resolve'
FROM tickets WHERE breaches::text <> '[]'
UNION ALL
SELECT id, accepted_at + interval '1 hour', 'tech', 'hold', 'in_progress', 'waiting',
       CASE WHEN random() < 0.5 THEN '等配件' ELSE '客户不在家' END
FROM tickets WHERE accepted_at IS NOT NULL AND random() < 0.1
"""


def _load_set_based(conn: Connection, size: int, skus: list[str]) -> None:
    conn.execute(text("SELECT setseed(:seed)"), {"seed": 1 / (1 + size % 1000)})
    naive_now = NOW.replace(tzinfo=None)   # the tables hold UTC without a zone
    conn.execute(text(_TICKETS), {"now": naive_now, "size": size, "per_day": PER_DAY, "skus": skus})
    conn.execute(text(_EVENTS))


def _server_cpu(uow: object) -> Callable[[], float]:
    """Nanoseconds the session's PostgreSQL backend has spent on a CPU so far (the server runs on this
    machine: /proc/<pid>/schedstat), or 0 on SQLite, where the work is this process's own CPU time."""
    session = uow.session  # type: ignore[attr-defined]
    if session.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    schedstat = Path(f"/proc/{session.scalar(text('SELECT pg_backend_pid()'))}/schedstat")
    return lambda: float(schedstat.read_text().split()[0])


def timed_once(desk: Desk, work: Callable[[Desk], object]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one run (this process's and the database's CPU, which a
    loaded machine does not inflate the way it does the wall clock)."""
    with desk.uow() as uow:
        server = _server_cpu(uow)
        start, own, theirs = time.perf_counter(), time.process_time(), server()
        work(uow)  # type: ignore[arg-type]
        wall = (time.perf_counter() - start) * 1000
        return wall, (time.process_time() - own) * 1000 + (server() - theirs) / 1e6


def timed(desks: list[Desk], runs: int, work: Callable[[Desk, Desk], object]) -> list[tuple[float, float]]:
    """Median wall-clock and CPU milliseconds per desk. The sizes take turns run by run, so that a
    shared machine's drifting speed reaches each size alike and their ratio is not the drift's."""
    samples: list[list[tuple[float, float]]] = [[] for _ in desks]
    for _ in range(runs):
        for desk, taken in zip(desks, samples):
            taken.append(timed_once(desk, lambda uow, d=desk: work(uow, d)))  # type: ignore[misc]
    return [(statistics.median(w for w, _ in taken), statistics.median(c for _, c in taken))
            for taken in samples]


def _last_days(desk: Desk, days: int) -> tuple[date, date]:
    today = NOW.astimezone(desk.rules.tz).date()
    return today - timedelta(days=days - 1), today


def _today(uow: UnitOfWork, desk: Desk) -> object:
    """今日统计 as a manager gets it: the figures in words, and the week up to today as a chart."""
    today = NOW.astimezone(desk.rules.tz).date()
    return today_text(uow, desk.rules, NOW), chart_figures(uow, desk.rules, NOW, *last_days(today, 7), "今日统计")


def _daily_report(uow: UnitOfWork, desk: Desk) -> object:
    """What `send_daily_report` computes: yesterday's figures, the overdue list, the week as a chart."""
    yesterday = NOW.astimezone(desk.rules.tz).date() - timedelta(days=1)
    return (today_figures(uow, desk.rules, NOW, yesterday), overdue_lines(uow, desk.rules, NOW),
            chart_figures(uow, desk.rules, NOW, *last_days(yesterday, 7), "日报"))


QUESTIONS: dict[str, Callable[..., object]] = {
    "今日统计 (day, 30 days quality, 7-day chart)": _today,
    "daily report (yesterday, overdue, chart)": _daily_report,
    "last 7 days": lambda uow, desk: period_figures(uow, NOW - timedelta(days=7), NOW, NOW),
    "last 30 days": lambda uow, desk: period_figures(uow, NOW - timedelta(days=30), NOW, NOW),
    "师傅排行, last 30 days": lambda uow, desk: ranking_over(uow, desk.rules, *_last_days(desk, 30)),
    "by region, last 30 days": lambda uow, desk: breakdown_over(uow, desk.rules, *_last_days(desk, 30), "region"),
    "by product, last 30 days": lambda uow, desk: breakdown_over(uow, desk.rules, *_last_days(desk, 30), "product"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10,000 and 100,000 tickets, 3 runs")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep a schema already loaded with the size")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.runs = [10_000, 100_000], 3
    folder = Path(tempfile.mkdtemp(prefix="baoxiu-bench-"))
    desks: list[Desk] = []
    try:
        for size in args.sizes:
            started = time.perf_counter()
            desks.append(build(size, folder, args.reuse))
            loaded = time.perf_counter() - started
            print(f"{size:,} tickets on {desks[-1].engine.dialect.name}, loaded in {loaded:.0f} s")
        results = {label: timed(desks, args.runs, question) for label, question in QUESTIONS.items()}
    finally:
        for desk in desks:
            desk.close()
    for n, size in enumerate(args.sizes):
        print(f"{size:,} tickets, median of {args.runs} runs taken in turns with the other sizes:")
        for label, figures in results.items():
            ms, cpu = figures[n]
            print(f"  {label}: median {ms:.1f} ms wall clock, {cpu:.1f} ms CPU; "
                  f"/ {TARGET_MS:.0f} ms target = {ms / TARGET_MS:.2f} (CPU {cpu / TARGET_MS:.2f})")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for label, figures in results.items():
        (wall, cpu), (wall0, cpu0) = figures[-1], figures[0]
        print(f"{label}: {args.sizes[-1]:,} / {args.sizes[0]:,} tickets = {wall / wall0:.2f} wall clock, "
              f"{cpu / cpu0:.2f} CPU (flat: about 1)")


if __name__ == "__main__":
    main()
