"""Choosing a technician among 5,000, timed on the path a real dispatch takes.

    .venv/bin/python benchmarks/choose_technician.py [--techs 5000] [--runs 500] [--url …]
    .venv/bin/python benchmarks/choose_technician.py --quick        # 500 technicians, 100 runs

Measures on a SQLite file in a temporary folder, then on PostgreSQL when
BAOXIU_TEST_DATABASE_URL is set (in a schema of its own there, dropped at the end: the tests'
schemas are left alone); --url names one database instead (it is emptied). Each gets the
technicians, their open work (loads), three months of closed, rated jobs (records) and when
each was last offered a job, then the hourly roster refresh the worker runs (loads and records
onto the roster). Each run opens a
transaction and calls `domain.offers.dispatch` for a fresh ticket — choosing among the
technicians in the database, logging the decision and making the offer — then rolls
back, so every run sees the same data. Two figures: the choice alone (the ranked
candidate query and the exclusion counts dispatch records) and the whole dispatch.
Prints p50 / p99 / max in milliseconds, wall clock and CPU time (on PostgreSQL also with
the CPU time of the server process serving the benchmark), and the ratio of p99 to the
5 ms target.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import event, insert, text
from sqlalchemy.orm import Session

from bot.bootstrap import Desk, bootstrap
from bot.settings import load_settings
from domain import roster
from domain.dispatch import Job
from domain.offers import dispatch
from domain.ticket import State, Ticket
from schemas import in_schema, remake  # a sibling script: benchmarks/ is on the path
from scheduler.jobs import run
from storage.tables import CustomerRow, ProductRow, SiteRow, TechnicianRow, TicketRow

CONFIG = Path(__file__).resolve().parent.parent / "config.example.toml"
SKILLS = ("plumbing", "carpentry", "flooring", "lock", "window", "electrical")
REGIONS = tuple(f"区{i:02d}" for i in range(30))
NOW = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)
TARGET_MS = 5.0
PG_ENV = "BAOXIU_TEST_DATABASE_URL"   # the PostgreSQL database the tests use
SCHEMA = "baoxiu_bench_dispatch"


def technicians(n: int, rng: random.Random) -> list[dict]:  # type: ignore[type-arg]
    return [dict(id=f"T{i:05d}", name=f"师傅{i}", phone="13900000000", skills=rng.sample(SKILLS, 2),
                 regions=rng.sample(REGIONS, 2), capacity=rng.randint(3, 6), on_duty=rng.random() > 0.1,
                 active=rng.random() > 0.02,
                 last_offered_at=NOW - timedelta(minutes=rng.randint(0, 3000)))
            for i in range(n)]


def tickets(n_techs: int, rng: random.Random) -> list[dict]:  # type: ignore[type-arg]
    """Open work (about two jobs per technician) and three months of closed, rated jobs."""
    out = []
    for i in range(n_techs * 6):
        closed = i >= n_techs * 2
        opened = NOW - timedelta(days=rng.uniform(1, 89) if closed else rng.uniform(0, 2))
        out.append(dict(number=f"BX{i:09d}", type="repair", priority="normal", description="漏水", customer_id=1,
                        state=State.CLOSED.value if closed else rng.choice(("assigned", "accepted", "in_progress")),
                        assignee_id=f"T{rng.randrange(n_techs):05d}", created_at=opened,
                        closed_at=opened + timedelta(hours=20) if closed else None,
                        rating=rng.randint(2, 5) if closed and rng.random() > 0.3 else None,
                        reopen_count=int(rng.random() < 0.1), hold_count=int(rng.random() < 0.2),
                        declined=[], photos=[], offered=[], sla_fired=[], breaches=[], pauses=[]))
    return out


def build(url: str, n: int) -> Desk:
    settings = load_settings(str(CONFIG), env={})
    settings.database.url = url
    desk = bootstrap(settings, clock=lambda: NOW)
    rng = random.Random(7)
    with desk.engine.begin() as conn:
        for table in ("dispatch_decisions", "ticket_events", "outbox", "tickets", "sites", "technicians",
                      "products", "customers"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(insert(CustomerRow), [dict(id=1, phone="13800138000", name="", created_at=NOW)])
        conn.execute(insert(ProductRow), [dict(sku=f"P-{s}", name=s, category="c", skill=s, aliases=[])
                                          for s in SKILLS])
        conn.execute(insert(SiteRow), [dict(id=i + 1, community=f"小区{i}", region=r)
                                       for i, r in enumerate(REGIONS)])
        conn.execute(insert(TechnicianRow), technicians(n, rng))
        rows = tickets(n, rng)
        for start in range(0, len(rows), 5000):
            conn.execute(insert(TicketRow), rows[start:start + 5000])
    run(desk, roster.refresh_roster, NOW)  # what the worker does hourly: loads and records
    if desk.engine.dialect.name == "postgresql":  # statistics and visibility, as autovacuum leaves a settled table
        with desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return desk


class ServerCpu:
    """CPU milliseconds spent by the PostgreSQL backend serving a session (nothing for SQLite, which
    runs in this process): read from the kernel's scheduler statistics of the backend process,
    which runs on this machine (the benchmark connects to 127.0.0.1)."""

    def __init__(self, desk: Desk) -> None:
        self.postgres = desk.engine.dialect.name == "postgresql"
        if self.postgres:
            event.listen(desk.engine, "connect", self._remember_pid)
            desk.engine.dispose()   # connections made from now on say which backend serves them

    @staticmethod
    def _remember_pid(dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            record.info[BACKEND] = cur.fetchone()[0]
        dbapi_conn.commit()

    def __call__(self, session: Session) -> float:
        if not self.postgres:
            return 0.0
        pid = session.connection().connection.info[BACKEND]
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6


BACKEND = "benchmark_backend_pid"


class Samples:
    """Per-run milliseconds: wall clock, this process's CPU, and with the database server's CPU."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.cpu_with_server: list[float] = []

    def timed(self, server: ServerCpu, session: Session, run: Callable[[], object]) -> None:
        server_start = server(session)
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - start_cpu) * 1000
        self.wall.append(wall)
        self.cpu.append(cpu)
        self.cpu_with_server.append(cpu + server(session) - server_start)


def time_dispatch(desk: Desk, server: ServerCpu, runs: int) -> Samples:
    rng = random.Random(11)
    samples = Samples()
    for i in range(runs):
        skill = rng.choice(SKILLS)
        ticket = Ticket(number=f"BXBENCH-{i:05d}", type="repair", priority="normal", description="漏水",
                        customer_id=1, created_at=NOW, product_sku=f"P-{skill}", site_id=rng.randrange(30) + 1)
        with desk.uow() as uow:
            def whole() -> None:
                dispatch(uow, desk.rules, NOW, ticket)
                uow.session.flush()
            samples.timed(server, uow.session, whole)
            assert ticket.state is State.ASSIGNED, "nobody was offered the job"
            uow.rollback()
    return samples


def time_choice(desk: Desk, server: ServerCpu, runs: int) -> Samples:
    """Only the choice inside dispatch: candidates ranked in the database, and who was left out."""
    rng = random.Random(13)
    samples = Samples()
    with desk.uow() as uow:
        for _ in range(runs):
            job = Job(rng.choice(SKILLS), rng.choice(REGIONS))
            def choose() -> None:
                assert uow.people.candidates(job, desk.rules.region_neighbours, desk.rules.weights, NOW, 10), \
                    "no candidate"
                uow.people.exclusions(job)
            samples.timed(server, uow.session, choose)
    return samples


def report(label: str, timings: list[float]) -> None:
    timings = sorted(timings)
    p99 = timings[max(int(len(timings) * 0.99) - 1, 0)]
    print(f"{label}, {len(timings)} runs: p50 {statistics.median(timings):.2f} ms, "
          f"p99 {p99:.2f} ms, max {timings[-1]:.2f} ms; p99 / {TARGET_MS:.0f} ms target = {p99 / TARGET_MS:.2f}")


def measure(url: str, techs: int, runs: int) -> None:
    desk = build(url, techs)
    try:
        server = ServerCpu(desk)
        time_dispatch(desk, server, 20)  # warm up: caches, prepared statements
        backend = desk.engine.dialect.name
        figures = (("choosing among {n} technicians ({b}: ranked query + exclusions)", time_choice),
                   ("whole dispatch among {n} technicians ({b}: + decision log, offer, notice, one transaction)",
                    time_dispatch))
        for label, timed in figures:
            samples = timed(desk, server, runs)
            title = label.format(n=techs, b=backend)
            report(f"{title}, wall clock", samples.wall)
            # CPU time of this process (SQLite runs in it) is the same work without other processes' noise;
            # on PostgreSQL the backend's share is added, so both backends are weighed whole.
            report(f"{title}, CPU time", samples.cpu)
            if server.postgres:
                report(f"{title}, CPU time with the PostgreSQL backend's", samples.cpu_with_server)
    finally:
        desk.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--techs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--url", default="", help="only this database (default: SQLite, then PostgreSQL "
                                                  f"when {PG_ENV} is set)")
    parser.add_argument("--quick", action="store_true", help="500 technicians, 100 runs")
    args = parser.parse_args()
    if args.quick:
        args.techs, args.runs = 500, 100
    sqlite = f"sqlite:///{Path(tempfile.mkdtemp(prefix='baoxiu-bench-')) / 'dispatch.db'}"
    if args.url:
        measure(args.url, args.techs, args.runs)
        return
    measure(sqlite, args.techs, args.runs)
    if base := os.environ.get(PG_ENV):
        remake(base, SCHEMA)
        try:
            measure(in_schema(base, SCHEMA), args.techs, args.runs)
        finally:
            remake(base, SCHEMA, drop_only=True)


if __name__ == "__main__":
    main()
