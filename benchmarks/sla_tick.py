"""One full tick with many open tickets of which 100 are due: its cost follows what is due.

    .venv/bin/python benchmarks/sla_tick.py [--small 10000] [--large 1000000] [--repeat 5] [--url sqlite:///…]
    .venv/bin/python benchmarks/sla_tick.py --quick        # 2,000 against 20,000, for a quick check

Builds a database per size (SQLite files in a temporary folder unless --url names a
PostgreSQL database, which is then emptied). Each database gets one warm-up tick (the
hourly roster refresh and the first daily-report check happen there, as in a running
worker). Then, alternating sizes, it makes the same 100 tickets due again and times the
FULL tick — every due job, as `baoxiu sla tick` runs it: offers, SLA timers, surveys,
plans, daily report, outbox delivery, media. Prints the median and spread of each size
and the ratio of the medians. Target: large / small ≤ 2. Also the longest transaction of
any tick (what a callback may wait for SQLite's write lock), against the 5 s busy wait.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, insert, text

from bot.bootstrap import bootstrap
from bot.settings import load_settings
from scheduler.jobs import tick
from scheduler.ports import Outlets
from storage.tables import CustomerRow, TicketRow

CONFIG = Path(__file__).resolve().parent.parent / "config.example.toml"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
DUE = 100
PER_DAY = 1000
BATCH = 20000


def rows(n: int, start: int) -> list[dict]:  # type: ignore[type-arg]
    out = []
    for i in range(start, min(start + BATCH, n)):
        # The first DUE tickets were opened 5 hours ago: their 4-hour arrival deadline has passed. The
        # others were opened a thousand a day before that (as in stats.py), so the last hours hold
        # what a desk's last hours hold: the incident check reads the tickets opened in its window.
        opened = NOW - (timedelta(hours=5) if i < DUE else timedelta(days=1 + (i - DUE) // PER_DAY))
        due = NOW - timedelta(minutes=1) if i < DUE else NOW + timedelta(hours=2, minutes=i % 5000)
        out.append(dict(number=f"BX20261123-{i:07d}", type="repair", priority="urgent", state="accepted",
                        description="漏水", customer_id=1, created_at=opened, accepted_at=opened,
                        accept_by=opened + timedelta(minutes=30), arrive_by=opened + timedelta(hours=4),
                        resolve_by=opened + timedelta(hours=24), next_due_at=due, assignee_id="T01",
                        declined=[], photos=[], offered=[], sla_fired=[], breaches=[], pauses=[]))
    return out


def build(url: str, n: int):  # type: ignore[no-untyped-def]
    settings = load_settings(str(CONFIG), env={})
    settings.database.url = url
    desk = bootstrap(settings, clock=lambda: NOW)
    HOLDS.watch(desk.engine)
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events"))
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("DELETE FROM tickets"))
        conn.execute(text("DELETE FROM customers"))
        conn.execute(insert(CustomerRow), [dict(id=1, phone="13800138000", name="", created_at=NOW)])
        for start in range(0, n, BATCH):
            conn.execute(insert(TicketRow), rows(n, start))
    return desk


def make_due_again(desk, n: int) -> None:  # type: ignore[no-untyped-def]
    """The same 100 tickets due again, and what the last tick wrote cleared (all indexed by id)."""
    with desk.engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events"))
        conn.execute(text("DELETE FROM outbox"))
        conn.execute(text("UPDATE tickets SET next_due_at = :due, sla_fired = '[]', breaches = '[]' WHERE id <= :k"),
                     {"due": (NOW - timedelta(minutes=1)).replace(tzinfo=None), "k": DUE})


class Holds:
    """The longest transaction seen on an engine, begin to commit (or rollback)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._began: dict[int, float] = {}

    def watch(self, engine) -> None:  # type: ignore[no-untyped-def]
        event.listen(engine, "begin", lambda conn: self._began.__setitem__(id(conn), time.perf_counter()))
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _end(self, conn) -> None:  # type: ignore[no-untyped-def]
        began = self._began.pop(id(conn), None)
        if began is not None:
            self.longest = max(self.longest, time.perf_counter() - began)


HOLDS = Holds()
tick_holds: list[float] = []


def timed_tick(desk, n: int, at: datetime) -> float:  # type: ignore[no-untyped-def]
    make_due_again(desk, n)
    HOLDS.longest = 0.0
    start = time.perf_counter()
    counts = tick(desk, Outlets(), at)
    took = time.perf_counter() - start
    tick_holds.append(HOLDS.longest)
    assert counts["sla_timers_fired"] >= DUE, f"expected at least {DUE} timers, fired {counts}"
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2,000 against 20,000 tickets, 3 runs each")
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.repeat = 2_000, 20_000, 3
    folder = Path(tempfile.mkdtemp(prefix="baoxiu-bench-"))
    sizes = (args.small, args.large)
    if args.url:  # one PostgreSQL database: build and measure one size after the other
        timings = {n: measure(build(args.url, n), n, args.repeat) for n in sizes}
    else:
        desks = {n: build(f"sqlite:///{folder / f'sla-{n}.db'}", n) for n in sizes}
        for n, desk in desks.items():
            timed_tick(desk, n, NOW)  # warm-up: hourly refresh, caches, prepared statements
        timings = {n: [] for n in sizes}
        for i in range(args.repeat):  # alternate, so machine noise falls on both sizes alike
            for n, desk in desks.items():
                timings[n].append(timed_tick(desk, n, NOW + timedelta(seconds=i + 1)))
        for desk in desks.values():
            desk.close()
    for n in sizes:
        runs = sorted(timings[n])
        print(f"{n:>9} open tickets, {DUE} due: full tick median {statistics.median(runs) * 1000:.1f} ms "
              f"(min {runs[0] * 1000:.1f}, max {runs[-1] * 1000:.1f}, {len(runs)} runs)")
    ratio = statistics.median(timings[args.large]) / statistics.median(timings[args.small])
    print(f"ratio of medians large / small = {ratio:.2f} (target ≤ 2)")
    held = max(tick_holds)
    print(f"longest transaction in any tick {held * 1000:.1f} ms (a callback's longest wait for the write lock;"
          f" busy wait 5,000 ms, ratio {held / 5:.3f})")


def measure(desk, n: int, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    timed_tick(desk, n, NOW)
    runs = [timed_tick(desk, n, NOW + timedelta(seconds=i + 1)) for i in range(repeat)]
    desk.close()
    return runs


if __name__ == "__main__":
    main()
