"""One SLA tick with many open tickets of which 100 are due: its cost follows what is due.

    .venv/bin/python benchmarks/sla_tick.py [--small 10000] [--large 1000000] [--url sqlite:///…]

Builds a database per size (SQLite files in a temporary folder unless --url names a
PostgreSQL database, which is then emptied), times one tick, and prints the ratio.
Target: large / small ≤ 2.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import insert, text

from bot.bootstrap import bootstrap
from bot.settings import load_settings
from domain import sla_watch
from scheduler.jobs import run
from storage.tables import CustomerRow, TicketRow

CONFIG = Path(__file__).resolve().parent.parent / "config.example.toml"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
DUE = 100
BATCH = 20000


def rows(n: int, start: int) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for i in range(start, min(start + BATCH, n)):
        # The first DUE tickets were opened 5 hours ago: their 4-hour arrival deadline has passed.
        opened = NOW - timedelta(hours=5 if i < DUE else 1)
        due = NOW - timedelta(minutes=1) if i < DUE else NOW + timedelta(hours=2, minutes=i % 5000)
        out.append(dict(number=f"BX20261123-{i:07d}", type="repair", priority="urgent", state="accepted",
                        description="漏水", customer_id=1, created_at=opened, accepted_at=opened,
                        accept_by=opened + timedelta(minutes=30), arrive_by=opened + timedelta(hours=4),
                        resolve_by=opened + timedelta(hours=24), next_due_at=due, assignee_id="T01",
                        declined=[], photos=[], offered=[], sla_fired=[], breaches=[]))
    return out


def build(url: str, n: int):  # type: ignore[no-untyped-def]
    settings = load_settings(str(CONFIG), env={})
    settings.database.url = url
    desk = bootstrap(settings, clock=lambda: NOW)
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events"))
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("DELETE FROM tickets"))
        conn.execute(text("DELETE FROM customers"))
        conn.execute(insert(CustomerRow), [dict(id=1, phone="13800138000", name="", created_at=NOW)])
        for start in range(0, n, BATCH):
            conn.execute(insert(TicketRow), rows(n, start))
    return desk


def one_tick(url: str, n: int) -> float:
    desk = build(url, n)
    with desk.engine.connect() as conn:  # warm the page cache the same way for both sizes
        conn.execute(text("SELECT count(*) FROM tickets WHERE next_due_at <= :now"), {"now": NOW.replace(tzinfo=None)})
    start = time.perf_counter()
    fired = run(desk, sla_watch.watch, NOW)
    took = time.perf_counter() - start
    desk.close()
    assert fired >= DUE, f"expected at least {DUE} timers, fired {fired}"
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="baoxiu-bench-"))
    timings = {}
    for n in (args.small, args.large):
        url = args.url or f"sqlite:///{folder / f'sla-{n}.db'}"
        timings[n] = one_tick(url, n)
        print(f"{n:>9} open tickets, {DUE} due: one SLA tick {timings[n] * 1000:.1f} ms")
    print(f"ratio large / small = {timings[args.large] / timings[args.small]:.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
