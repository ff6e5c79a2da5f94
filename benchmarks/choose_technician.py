"""Choosing a technician among 5,000: the domain's ranking with loads, records and fairness.

    .venv/bin/python benchmarks/choose_technician.py [--techs 5000] [--runs 2000]

Two figures: ranking the technicians who have the job's skill (what dispatch does: the
repository filters by skill, duty and activity in SQL), and ranking the whole roster.
Prints p50 / p99 / max in milliseconds and the ratio of p99 to the 5 ms target.
"""
from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from domain.dispatch import Job, Record, Weights, rank
from domain.model import Technician

SKILLS = ("plumbing", "carpentry", "flooring", "lock", "window", "electrical")
REGIONS = tuple(f"区{i:02d}" for i in range(30))


def roster(n: int, rng: random.Random) -> tuple[list[Technician], dict[str, int], dict[str, datetime], dict[str, Record]]:
    now = datetime(2026, 11, 23, 2, tzinfo=timezone.utc)
    techs, loads, last, records = [], {}, {}, {}
    for i in range(n):
        tid = f"T{i:05d}"
        techs.append(Technician(tid, tid, skills=tuple(rng.sample(SKILLS, 2)),
                                regions=tuple(rng.sample(REGIONS, 2)), capacity=rng.randint(3, 6),
                                on_duty=rng.random() > 0.1))
        loads[tid] = rng.randint(0, 6)
        last[tid] = now - timedelta(minutes=rng.randint(0, 3000))
        records[tid] = Record(first_fix=rng.random(), rating=rng.uniform(3, 5))
    return techs, loads, last, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--techs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(7)
    techs, loads, last, records = roster(args.techs, rng)
    neighbours = {r: (REGIONS[(i + 1) % len(REGIONS)],) for i, r in enumerate(REGIONS)}
    now = datetime(2026, 11, 23, 4, tzinfo=timezone.utc)
    by_skill = {skill: [t for t in techs if skill in t.skills and t.on_duty] for skill in SKILLS}
    for label, pool in (("with the skill (dispatch path)", by_skill.get), ("whole roster", lambda _: techs)):
        timings = []
        for _ in range(args.runs):
            job = Job(rng.choice(SKILLS), rng.choice(REGIONS))
            candidates = pool(job.skill) or []
            start = time.perf_counter()
            best = rank(candidates, job, loads, last, neighbours, records, Weights(), now)
            timings.append((time.perf_counter() - start) * 1000)
            assert best, "no candidate"
        report(f"{args.techs} technicians, ranking those {label}", timings)


def report(label: str, timings: list[float]) -> None:
    timings.sort()
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"{label}, {len(timings)} runs: p50 {statistics.median(timings):.2f} ms, "
          f"p99 {p99:.2f} ms, max {timings[-1]:.2f} ms; p99 / 5 ms target = {p99 / 5:.2f}")


if __name__ == "__main__":
    main()
