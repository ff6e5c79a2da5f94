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
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{LABELS[name]}{value:.2f}" for name, value in self.parts)

    def explain(self) -> str:
        return f"{self.tech.id} {self.tech.name} {self.score:.3f}（{'，'.join(self.reasons)}）"


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


def _region(tech: Technician, region: str, neighbours: Mapping[str, tuple[str, ...]]) -> float:
    if not region or region in tech.regions:
        return 1.0
    if any(r in tech.regions for r in neighbours.get(region, ())):
        return 0.5
    return 0.0


def _fairness(last: datetime | None, now: datetime | None) -> float:
    """Who has waited longest for an offer; a day without one counts as fully rested."""
    if last is None or now is None:
        return 1.0
    return min(max((now - last).total_seconds() / 86400, 0.0), 1.0)


def score(tech: Technician, job: Job, load: int, record: Record, last: datetime | None, now: datetime | None,
          weights: Weights, neighbours: Mapping[str, tuple[str, ...]]) -> Candidate:
    first_fix = record.first_fix if record.first_fix is not None else NEW_TECH.first_fix or 0.0
    rating = record.rating if record.rating is not None else NEW_TECH.rating or 0.0
    parts = (("region", _region(tech, job.region, neighbours)),
             ("load", 1.0 - load / max(tech.capacity, 1)),
             ("first_fix", first_fix), ("rating", (rating - 1) / 4), ("fairness", _fairness(last, now)))
    total = sum(getattr(weights, name) * value for name, value in parts)
    return Candidate(tech, round(total, 6), parts)


def rank(techs: Iterable[Technician], job: Job, loads: Mapping[str, int],
         last_offered: Mapping[str, datetime], neighbours: Mapping[str, tuple[str, ...]] | None = None,
         records: Mapping[str, Record] | None = None, weights: Weights = Weights(),
         now: datetime | None = None, limit: int = 10) -> list[Candidate]:
    """The best `limit` eligible technicians, best first; ties go to the lower id, so it is repeatable."""
    neighbours, records = neighbours or {}, records or {}
    scored = (score(t, job, loads.get(t.id, 0), records.get(t.id, Record()), last_offered.get(t.id), now,
                    weights, neighbours)
              for t in techs if eligible(t, job, loads) is None)
    return heapq.nsmallest(limit, scored, key=lambda c: (-c.score, c.tech.id))


def excluded(techs: Iterable[Technician], job: Job, loads: Mapping[str, int]) -> dict[str, int]:
    """Why the others were not considered, counted by reason (for the explanation)."""
    counts: dict[str, int] = {}
    for tech in techs:
        why = eligible(tech, job, loads)
        if why is not None:
            counts[why] = counts.get(why, 0) + 1
    return counts
