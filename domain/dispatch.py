"""Choosing a technician: skill and duty decide who may; region, load, record and fairness who should."""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.model import Technician


@dataclass(frozen=True)
class Job:
    skill: str
    region: str
    declined: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Weights:
    """How much each factor counts; configured under [dispatch.weights]."""

    region: float = 0.4
    load: float = 0.25
    first_fix: float = 0.15
    rating: float = 0.1
    fairness: float = 0.1


@dataclass(frozen=True)
class Record:
    """A technician's recent work: share of jobs fixed on the first visit, average stars."""

    first_fix: float | None = None
    rating: float | None = None


@dataclass(frozen=True)
class Candidate:
    tech: Technician
    score: float
    parts: tuple[tuple[str, float], ...]   # (factor, value 0..1) in the order of Weights

    @property
    def reasons(self) -> tuple[str, ...]:  # e.g. 区域1.00
        return tuple(f"{LABELS[name]}{value:.2f}" for name, value in self.parts)

    def explain(self) -> str:
        return f"{self.tech.id} {self.tech.name} {score_text(self.score)}（{'，'.join(self.reasons)}）"


def score_text(score: float) -> str:
    """A dispatch score as every output shows it (the trail, the explanation): one rounding."""
    return f"{score:.3f}"


@dataclass(frozen=True)
class Exclusions:
    """Technicians not considered: how many for each reason, and a few of them by name."""

    counts: dict[str, int]
    examples: dict[str, tuple[str, ...]]

    def lines(self) -> list[str]:
        return [f"未考虑：{why} ×{n}" + (f"（{'、'.join(self.examples[why])}{'等' if n > len(self.examples[why]) else ''}）"
                                       if self.examples.get(why) else "")
                for why, n in sorted(self.counts.items(), key=lambda kv: -kv[1])]


def weights_line(weights: Weights) -> str:
    return "权重：" + "，".join(f"{LABELS[name]}{getattr(weights, name):g}" for name in FACTORS)


TIE_BREAK = "同分时编号小者优先"

LABELS = {"region": "区域", "load": "空闲", "first_fix": "一次修复", "rating": "评分", "fairness": "等待"}
NEW_TECH = Record(first_fix=0.8, rating=4.0)   # someone without history starts at a fair average


def eligible(tech: Technician, job: Job, loads: Mapping[str, int]) -> str | None:
    """None when the technician may take the job, else why not."""
    if not tech.active:
        return "已停用"
    if not tech.on_duty:
        return "不在岗"
    if job.skill and job.skill not in tech.skills:
        return f"无{job.skill}技能"
    if tech.id in job.declined:
        return "已拒单或超时"
    if loads.get(tech.id, 0) >= tech.capacity:
        return "工单已满"
    return None


FACTORS = ("region", "load", "first_fix", "rating", "fairness")


@dataclass(frozen=True)
class _Context:
    """What every candidate is measured against, looked up once per job."""

    job: Job
    loads: Mapping[str, int]
    last_offered: Mapping[str, datetime]
    records: Mapping[str, Record]
    nearby: tuple[str, ...]
    now: datetime | None
    weights: tuple[float, ...]


def _evaluate(t: Technician, c: _Context) -> tuple[float, tuple[float, ...]] | None:
    """(weighted total, factor values), or None when not eligible. Written flat on purpose:
    it runs once per technician per dispatch, thousands of times (see benchmarks/)."""
    job, load = c.job, c.loads.get(t.id, 0)
    if (job.skill and job.skill not in t.skills) or not (t.active and t.on_duty) \
            or load >= t.capacity or t.id in job.declined:
        return None
    region = 1.0 if not job.region or job.region in t.regions else (
        0.5 if any(r in t.regions for r in c.nearby) else 0.0)
    record = c.records.get(t.id)
    first_fix = record.first_fix if record and record.first_fix is not None else NEW_TECH.first_fix
    rating = record.rating if record and record.rating is not None else NEW_TECH.rating
    last = c.last_offered.get(t.id)
    fair = 1.0 if last is None or c.now is None else min(max((c.now - last).total_seconds() / 86400, 0.0), 1.0)
    values = (region, 1.0 - load / max(t.capacity, 1), first_fix or 0.0, ((rating or 1.0) - 1) / 4, fair)
    w = c.weights
    total = w[0] * values[0] + w[1] * values[1] + w[2] * values[2] + w[3] * values[3] + w[4] * values[4]
    return round(total, 6), values


def rank(techs: Iterable[Technician], job: Job, loads: Mapping[str, int],
         last_offered: Mapping[str, datetime], neighbours: Mapping[str, tuple[str, ...]] | None = None,
         records: Mapping[str, Record] | None = None, weights: Weights = Weights(),
         now: datetime | None = None, limit: int = 10) -> list[Candidate]:
    """The best `limit` eligible technicians, best first; ties go to the lower id, so it is repeatable."""
    ctx = _Context(job, loads, last_offered, records or {}, (neighbours or {}).get(job.region, ()), now,
                   tuple(getattr(weights, name) for name in FACTORS))
    keyed = []
    for t in techs:
        found = _evaluate(t, ctx)
        if found is not None:
            keyed.append((-found[0], t.id, t, found[1]))
    return [Candidate(t, -neg, tuple(zip(FACTORS, values)))
            for neg, _, t, values in heapq.nsmallest(limit, keyed, key=lambda k: (k[0], k[1]))]


def excluded(techs: Iterable[Technician], job: Job, loads: Mapping[str, int]) -> dict[str, int]:
    """Why the others were not considered, counted by reason (for the explanation)."""
    counts: dict[str, int] = {}
    for tech in techs:
        why = eligible(tech, job, loads)
        if why is not None:
            counts[why] = counts.get(why, 0) + 1
    return counts
